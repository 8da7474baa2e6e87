using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

public class PoolTests
{
    // x[0, 0] = 0, 1, ..., h*w - 1 row by row
    private static Tensor Ramp(int h, int w, DType dtype = DType.Float64) => Tensor.Arange(0, h * w, dtype: dtype).Reshape([1, 1, h, w]);

    private static double[] Values(Var v) => v.Value.ToDoubleArray();

    [Fact]
    public void MaxPool2d_4x4Kernel2_TakesEachWindowMaximum()
    {
        var y = Op.MaxPool2d(Ramp(4, 4), 2);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        Assert.Equal([5.0, 7, 13, 15], Values(y));
    }

    [Fact]
    public void MaxPool2d_Float32_KeepsElementType()
    {
        var y = Op.MaxPool2d(Ramp(4, 4, DType.Float32), 2);
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal([5.0, 7, 13, 15], Values(y));
    }

    [Fact]
    public void MaxPool2d_Kernel3Padding1Stride1_PaddingIsNeverSelected()
    {
        // negative values: a zero-padded border would win, a -inf border never does
        var x = Tensor.Arange(-9, 0, dtype: DType.Float64).Reshape([1, 1, 3, 3]);
        var y = Op.MaxPool2d(x, 3, stride: 1, padding: 1);
        Assert.Equal([-5.0, -4, -4, -2, -1, -1, -2, -1, -1], Values(y));
    }

    [Fact]
    public void MaxPool2d_Dilation2_SkipsEveryOtherTap()
    {
        // taps (i, j), (i, j+2), (i+2, j), (i+2, j+2)
        var y = Op.MaxPool2d(Ramp(4, 4), 2, stride: 1, dilation: 2);
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        Assert.Equal([10.0, 11, 14, 15], Values(y));
    }

    [Fact]
    public void MaxPool2d_PerAxisSettings_UsesHeightAndWidthSeparately()
    {
        var y = Op.MaxPool2d(Ramp(4, 6), kernelSize: (2, 3), stride: (2, 3));
        Assert.Equal([1, 1, 2, 2], y.Shape.ToArray());
        Assert.Equal([8.0, 11, 20, 23], Values(y));
    }

    [Fact]
    public void MaxPool2d_OverlappingWindowsSharingTheMaximum_AccumulateGradient()
    {
        var x = Tensor.FromArray([1.0, 3, 2], [1, 1, 1, 3]);
        var g = Diff.Grad(v => Op.Sum(Op.MaxPool2d(v, (1, 2), stride: (1, 1))))(x);
        Assert.Equal([0.0, 2, 0], Values(g));
    }

    [Fact]
    public void MaxPool2d_Ties_GradientGoesToFirstMaximumOnly()
    {
        var x = Tensor.Full([1, 1, 2, 2], 7.0, DType.Float64);
        var g = Diff.Grad(v => Op.Sum(Op.MaxPool2d(v, 2)))(x);
        Assert.Equal([1.0, 0, 0, 0], Values(g));
    }

    [Fact]
    public void MaxPool2d_WindowEntirelyInPadding_IsNegativeInfinityWithZeroGradient()
    {
        // width 1, kernel 2, dilation 2, padding 1: the only window's taps are columns -1 and 1, both padding
        var x = Tensor.FromArray([4.0, 5], [1, 1, 2, 1]);
        var (y, pullback) = Diff.Vjp(v => Op.MaxPool2d(v, (1, 2), stride: (1, 1), padding: (0, 1), dilation: (1, 2)), x);
        Assert.Equal([double.NegativeInfinity, double.NegativeInfinity], Values(y));
        Assert.Equal([0.0, 0], Values(pullback(Tensor.Ones([1, 1, 2, 1], DType.Float64))));
    }

    [Fact]
    public void MaxPool2d_SecondDerivative_IsRecordedThroughScatterAndGather()
    {
        // d/dx sum(maxpool(x)^2) = scatter(2 maxpool(x)); the Hessian is 2 on the arg-max positions
        var x = Tensor.FromArray([1.0, 4, 2, 3], [1, 1, 2, 2]);
        var hv = Diff.Grad(v => Op.Sum(Diff.Grad(u => { var y = Op.MaxPool2d(u, 2); return Op.Sum(y * y); })(v)))(x);
        Assert.Equal([0.0, 2, 0, 0], Values(hv));
    }

    [Fact]
    public void AvgPool2d_4x4Kernel2_AveragesEachWindow()
    {
        var y = Op.AvgPool2d(Ramp(4, 4), 2);
        Assert.Equal([2.5, 4.5, 10.5, 12.5], Values(y));
    }

    [Fact]
    public void AvgPool2d_Padding_CountIncludePadDividesByKernelArea()
    {
        var ones = Tensor.Ones([1, 1, 3, 3], DType.Float64);
        var y = Op.AvgPool2d(ones, 3, stride: 1, padding: 1, countIncludePad: true);
        double c = 4.0 / 9, e = 6.0 / 9;
        Assert.True(y.Value.AllClose(Tensor.FromArray([c, e, c, e, 1, e, c, e, c], [1, 1, 3, 3]), 1e-15, 1e-15), y.ToString());
    }

    [Fact]
    public void AvgPool2d_Padding_CountExcludePadDividesByInsideCount()
    {
        var ones = Tensor.Ones([1, 1, 3, 3], DType.Float64);
        Assert.Equal(Enumerable.Repeat(1.0, 9), Values(Op.AvgPool2d(ones, 3, stride: 1, padding: 1, countIncludePad: false)));
    }

    [Fact]
    public void AvgPool2d_Gradient_SpreadsCotangentOverWindow()
    {
        // kernel 2 stride 1 on 1x3: windows {0,1} and {1,2}, each element weighted 1/2
        var g = Diff.Grad(v => Op.Sum(Op.AvgPool2d(v, (1, 2), stride: (1, 1))))(Tensor.FromArray([1.0, 2, 3], [1, 1, 1, 3]));
        Assert.Equal([0.5, 1, 0.5], Values(g));
    }

    [Fact]
    public void AdaptiveAvgPool2d_SizesThatDoNotDivide_UseOverlappingPyTorchWindows()
    {
        // width 5 to 3: windows [0, 2), [1, 4), [3, 5)
        var y = Op.AdaptiveAvgPool2d(Ramp(1, 5), 1, 3);
        Assert.Equal([0.5, 2, 3.5], Values(y));
    }

    [Fact]
    public void AdaptiveAvgPool2d_OutputLargerThanInput_RepeatsElements()
    {
        var y = Op.AdaptiveAvgPool2d(Ramp(1, 2), 1, 4);
        Assert.Equal([0.0, 0, 1, 1], Values(y));
    }

    [Fact]
    public void GlobalAvgPool2d_MeansEachPlane_ToNByC()
    {
        var x = Tensor.Arange(0, 16, dtype: DType.Float64).Reshape([2, 2, 2, 2]);
        var y = Op.GlobalAvgPool2d(x);
        Assert.Equal([2, 2], y.Shape.ToArray());
        Assert.Equal([1.5, 5.5, 9.5, 13.5], Values(y));
    }

    [Fact]
    public void Pool2d_Trace_NamesOpsAndSettings()
    {
        var trace = Diff.Trace(xs => Op.AvgPool2d(Op.MaxPool2d(xs[0], 2), 1), Ramp(4, 4));
        var text = trace.ToString();
        Assert.Contains("max_pool2d(%0) kernel=(2, 2) stride=(2, 2) padding=(0, 0) dilation=(1, 1)", text);
        Assert.Contains("avg_pool2d(%1) kernel=(1, 1)", text);
    }

    [Fact]
    public void MaxPool2d_WrongRank_ThrowsNamingShapeAndFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(Tensor.Zeros([4, 4]), 2));
        Assert.Contains("MaxPool2d expects input [N, C, H, W] but got [4, 4]", ex.Message);
        Assert.Contains("[1, 1, H, W]", ex.Message);
    }

    [Fact]
    public void Pool2d_WrongRank_ThrowsForEveryPooling()
    {
        var x = Tensor.Zeros([2, 4, 4]);
        Assert.Contains("AvgPool2d expects", Assert.Throws<ArgumentException>(() => Op.AvgPool2d(x, 2)).Message);
        Assert.Contains("AdaptiveAvgPool2d expects", Assert.Throws<ArgumentException>(() => Op.AdaptiveAvgPool2d(x, 1, 1)).Message);
        Assert.Contains("GlobalAvgPool2d expects", Assert.Throws<ArgumentException>(() => Op.GlobalAvgPool2d(x)).Message);
    }

    [Fact]
    public void MaxPool2d_KernelLargerThanPaddedInput_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(Tensor.Zeros([1, 1, 2, 2]), 3));
        Assert.Contains("larger than the padded input (2, 2)", ex.Message);
    }

    [Fact]
    public void MaxPool2d_DilatedKernelLargerThanInput_ThrowsNamingSpan()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(Tensor.Zeros([1, 1, 4, 4]), 2, dilation: 4));
        Assert.Contains("spans (5, 5)", ex.Message);
    }

    [Fact]
    public void Pool2d_PaddingMoreThanHalfKernel_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(Tensor.Zeros([1, 1, 8, 8]), 2, padding: 2));
        Assert.Contains("padding must be at most half the kernel size, here at most (1, 1)", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.AvgPool2d(Tensor.Zeros([1, 1, 8, 8]), (3, 3), padding: (1, 2)));
    }

    [Fact]
    public void Pool2d_NonPositiveStride_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MaxPool2d(Tensor.Zeros([1, 1, 4, 4]), 2, stride: 0));
        Assert.Contains("MaxPool2d needs a positive stride but got (0, 0)", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.AvgPool2d(Tensor.Zeros([1, 1, 4, 4]), (2, 2), stride: (1, -1)));
    }

    [Fact]
    public void Pool2d_BadKernelDilationOrPadding_Throws()
    {
        var x = Tensor.Zeros([1, 1, 4, 4]);
        Assert.Contains("kernel size of at least 1", Assert.Throws<ArgumentException>(() => Op.MaxPool2d(x, 0)).Message);
        Assert.Contains("dilation of at least 1", Assert.Throws<ArgumentException>(() => Op.MaxPool2d(x, 2, dilation: 0)).Message);
        Assert.Contains("non-negative padding", Assert.Throws<ArgumentException>(() => Op.AvgPool2d(x, 2, padding: -1)).Message);
    }

    [Fact]
    public void AdaptiveAvgPool2d_OutputSizeBelowOne_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.AdaptiveAvgPool2d(Tensor.Zeros([1, 1, 4, 4]), 0, 2));
        Assert.Contains("output size of at least (1, 1) but got (0, 2)", ex.Message);
    }

    [Fact]
    public void AdaptiveAvgPool2d_EmptyPlane_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.AdaptiveAvgPool2d(Tensor.Zeros([1, 1, 0, 4]), 1, 1));
        Assert.Contains("non-empty [H, W] plane", ex.Message);
    }
}
