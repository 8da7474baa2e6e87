using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

public class ConvTests
{
    // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]] as [1, 1, 3, 3]
    private static Tensor Grid(DType dtype = DType.Float64) => Tensor.Generate([1, 1, 3, 3], dtype, i => i + 1);

    private static Tensor Ones3x3 => Tensor.Ones([1, 1, 3, 3], DType.Float64);

    [Fact]
    public void Conv2d_OnesKernelPadding1_IsBoxSumPlusBias()
    {
        var y = Op.Conv2d(Grid(), Ones3x3, Tensor.FromArray([1.0]), padding: 1).Value;
        Assert.Equal(new[] { 1, 1, 3, 3 }, y.Shape.ToArray());
        // 3x3 neighbourhood sums of the grid, plus the bias 1
        Assert.Equal([13.0, 22.0, 17.0, 28.0, 46.0, 34.0, 25.0, 40.0, 29.0], y.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_Stride2Padding1_KeepsEveryOtherWindow()
    {
        var y = Op.Conv2d(Grid(), Ones3x3, null, stride: 2, padding: 1).Value;
        Assert.Equal([12.0, 16.0, 24.0, 28.0], y.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_TopLeftTap_IsCrossCorrelationNotFlipped()
    {
        // weight [[1, 0], [0, 0]]: cross-correlation reads x[i, j]; a flipped convolution would read x[i+1, j+1]
        var w = Tensor.FromArray([1.0, 0, 0, 0], [1, 1, 2, 2]);
        Assert.Equal([1.0, 2.0, 4.0, 5.0], Op.Conv2d(Grid(), w).Value.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_Dilation2_ReadsCornersOfTheGrid()
    {
        var w = Tensor.FromArray([1.0, 10, 100, 1000], [1, 1, 2, 2]);
        Assert.Equal([1 + 30 + 700 + 9000.0], Op.Conv2d(Grid(), w, dilation: 2).Value.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_Depthwise_ConvolvesEachChannelWithItsOwnKernel()
    {
        var x = Tensor.Generate([1, 2, 3, 3], DType.Float64, i => i % 9 + 1);
        var w = Tensor.FromArray([1.0, 0, 0, 0, 0, 0, 0, 2], [2, 1, 2, 2]);
        Assert.Equal([1.0, 2, 4, 5, 10, 12, 16, 18], Op.Conv2d(x, w, groups: 2).Value.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_Float32_MatchesFloat64()
    {
        var y32 = Op.Conv2d(Grid(DType.Float32), Tensor.Ones([1, 1, 3, 3]), padding: 1).Value;
        Assert.Equal(DType.Float32, y32.DType);
        Assert.Equal([12.0, 21, 16, 27, 45, 33, 24, 39, 28], y32.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_SamePadding_KeepsSizeWithExtraZeroBottomRight()
    {
        Assert.Equal(new Conv2dOptions(1, 1, 0, 1, 0, 1, 1, 1, 1), Conv2dOptions.Same(2, 2));
        Assert.Equal(new Conv2dOptions(1, 1, 2, 2, 1, 1, 2, 2, 1), Conv2dOptions.Same(3, 2, dilation: 2));
        var w = Tensor.FromArray([1.0, 0, 0, 1], [1, 1, 2, 2]);
        var y = Op.Conv2d(Grid(), w, null, "same").Value;
        // y[i, j] = x[i, j] + x[i+1, j+1], zero below and right of the grid
        Assert.Equal([6.0, 8, 3, 12, 14, 6, 7, 8, 9], y.ToDoubleArray());
        Assert.Equal(new[] { 1, 1, 2, 2 }, Op.Conv2d(Grid(), w, null, "valid").Shape.ToArray());
    }

    [Fact]
    public void ConvTranspose2d_OnesKernel_ScattersEachInputOverAWindow()
    {
        var x = Tensor.FromArray([1.0, 2, 3, 4], [1, 1, 2, 2]);
        var w = Tensor.Ones([1, 1, 2, 2], DType.Float64);
        Assert.Equal([1.0, 3, 2, 4, 10, 6, 3, 7, 4], Op.ConvTranspose2d(x, w).Value.ToDoubleArray());
        Assert.Equal([1.0, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], Op.ConvTranspose2d(x, w, stride: 2).Value.ToDoubleArray());
        Assert.Equal(new[] { 1, 1, 5, 5 }, Op.ConvTranspose2d(x, w, stride: 2, outputPadding: 1).Shape.ToArray());
    }

    [Fact]
    public void Conv2d_Gradients_AreHandChecked()
    {
        // y = conv2d(x, w) with a 2x2 ones kernel over the 3x3 grid: each x[i, j] is used once per window covering it
        var (_, gs) = Diff.ValueAndGrad(v => Op.Sum(Op.Conv2d(v[0], v[1], v[2])), Grid(), Tensor.Ones([1, 1, 2, 2], DType.Float64), Tensor.FromArray([0.5]));
        Assert.Equal([1.0, 2, 1, 2, 4, 2, 1, 2, 1], gs[0].Value.ToDoubleArray());
        // each tap sums the 2x2 block of the grid it visits
        Assert.Equal([12.0, 16, 24, 28], gs[1].Value.ToDoubleArray());
        Assert.Equal([4.0], gs[2].Value.ToDoubleArray());
    }

    [Fact]
    public void Conv2d_InputRank3_ThrowsSuggestingBatchAxis()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([3, 8, 8]), Tensor.Zeros([4, 3, 3, 3])));
        Assert.Contains("Conv2d expects input [N, C, H, W]", ex.Message);
        Assert.Contains("[3, 8, 8]", ex.Message);
        Assert.Contains("batch axis", ex.Message);
    }

    [Fact]
    public void Conv2d_ChannelMismatch_ThrowsNamingBothShapesAndFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([64, 1, 28, 28]), Tensor.Zeros([16, 3, 3, 3])));
        Assert.Contains("[64, 1, 28, 28]", ex.Message);
        Assert.Contains("[16, 3, 3, 3]", ex.Message);
        Assert.Contains("[N, 3, H, W]", ex.Message);
        Assert.Contains("build the weight as [16, 1, 3, 3]", ex.Message);
    }

    [Fact]
    public void Conv2d_GroupsNotDividingChannels_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 3, 5, 5]), Tensor.Zeros([4, 1, 3, 3]), groups: 2));
        Assert.Contains("groups=2", ex.Message);
        Assert.Contains("divide", ex.Message);
    }

    [Fact]
    public void Conv2d_KernelLargerThanPaddedInput_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 2, 2]), Tensor.Zeros([1, 1, 3, 3])));
        Assert.Contains("larger than the padded input 2x2", ex.Message);
        Assert.DoesNotContain("larger", Record.Exception(() => Op.Conv2d(Tensor.Zeros([1, 1, 2, 2]), Tensor.Zeros([1, 1, 3, 3]), padding: 1))?.Message ?? "");
    }

    [Fact]
    public void Conv2d_NonPositiveStride_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3]), stride: 0));
        Assert.Contains("stride of at least 1", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3]), null, default(Conv2dOptions)));
    }

    [Fact]
    public void Conv2d_MixedFloat32Float64_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3], DType.Float64)));
        Assert.Contains("mixing element types", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3]), Tensor.Zeros([1], DType.Float64)));
    }

    [Fact]
    public void Conv2d_WrongBiasShape_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([2, 1, 3, 3]), Tensor.Zeros([3])));
        Assert.Contains("bias [2]", ex.Message);
    }

    [Fact]
    public void Conv2d_SamePaddingWithStride_ThrowsAsPyTorch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3]), null, "same", stride: 2));
        Assert.Contains("'same' needs stride 1", ex.Message);
        Assert.Throws<ArgumentException>(() => Op.Conv2d(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3]), null, "full"));
    }

    [Fact]
    public void ConvTranspose2d_OutputPaddingNotBelowStrideOrDilation_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.ConvTranspose2d(Tensor.Zeros([1, 1, 3, 3]), Tensor.Zeros([1, 1, 3, 3]), stride: 2, outputPadding: 2));
        Assert.Contains("smaller than the stride or the dilation", ex.Message);
        // allowed by the dilation, as in PyTorch
        Assert.Equal(new[] { 1, 1, 10, 10 }, Op.ConvTranspose2d(Tensor.Zeros([1, 1, 3, 3]), Tensor.Zeros([1, 1, 2, 2]), stride: 2, outputPadding: 2, dilation: 3).Shape.ToArray());
    }

    [Fact]
    public void ConvTranspose2d_ChannelMismatch_ThrowsNamingBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.ConvTranspose2d(Tensor.Zeros([1, 2, 3, 3]), Tensor.Zeros([3, 1, 3, 3])));
        Assert.Contains("[1, 2, 3, 3]", ex.Message);
        Assert.Contains("[3, 1, 3, 3]", ex.Message);
    }

    [Fact]
    public void Conv2dWeightGrad_OutputGradientTooLarge_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Conv2dWeightGrad(Tensor.Zeros([1, 1, 4, 4]), Tensor.Zeros([1, 1, 3, 3]), Conv2dOptions.Default, 3, 3));
        Assert.Contains("up to 2x2", ex.Message);
    }

    [Fact]
    public void Conv2dOptions_OutputSize_FloorsUnevenStrides()
    {
        Assert.Equal(3, Conv2dOptions.OutputSize(7, 3, 2, 1, 0, 1)); // (7 + 1 - 2 - 1) / 2 + 1
        Assert.Equal(0, Conv2dOptions.OutputSize(2, 3, 1, 0, 0, 1));
        Assert.Equal(8, Conv2dOptions.TransposeOutputSize(4, 3, 2, 1, 1, 1, 1));
    }
}
