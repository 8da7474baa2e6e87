using System.Numerics;
using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Unit.Kernels;

/// <summary>The im2col + GEMM convolution kernels equal slow loops written straight from their formulas.</summary>
public class ConvKernelTests
{
    // Consistent geometries on odd sizes: kernel 1..3, stride 1..3, padding 0..2 per side, dilation 1..2,
    // groups 1..3 (depthwise when one input channel per group), an output size of at least 1 (sometimes
    // cut below the formula, as the transposed convolution's pullback asks for).
    private static readonly Gen<(Conv2dGeometry G, int Seed)> Geometries =
        from groups in Gen.Choose(1, 3)
        from cg in Gen.Choose(1, 2)
        from kg in Gen.Choose(1, 3)
        from n in Gen.Choose(1, 3)
        from kh in Gen.Choose(1, 3)
        from kw in Gen.Choose(1, 3)
        from sh in Gen.Choose(1, 3)
        from sw in Gen.Choose(1, 3)
        from pads in Gen.ArrayOf(Gen.Choose(0, 2), 4)
        from dh in Gen.Choose(1, 2)
        from dw in Gen.Choose(1, 2)
        from eh in Gen.Choose(0, 5)
        from ew in Gen.Choose(0, 5)
        from cut in Gen.Elements(false, false, true)
        from seed in Gen.Choose(0, 1_000_000)
        let h = Math.Max(1, dh * (kh - 1) + 1 - pads[0] - pads[1] + eh)
        let w = Math.Max(1, dw * (kw - 1) + 1 - pads[2] - pads[3] + ew)
        let ho = Conv2dOptions.OutputSize(h, kh, sh, pads[0], pads[1], dh)
        let wo = Conv2dOptions.OutputSize(w, kw, sw, pads[2], pads[3], dw)
        select (new Conv2dGeometry(n, groups * cg, h, w, groups * kg, kh, kw,
            cut && ho > 1 ? ho - 1 : ho, cut && wo > 1 ? wo - 1 : wo,
            sh, sw, pads[0], pads[2], dh, dw, groups), seed);

    private static void Check(Gen<(Conv2dGeometry G, int Seed)> gen, Action<(Conv2dGeometry G, int Seed)> property, int maxTest = 100) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), Prop.ForAll(gen.ToArbitrary(), property));

    private static T[] Random<T>(int seed, int size) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = Rng.Seed(seed);
        var a = new T[size];
        for (int i = 0; i < size; i++) a[i] = T.CreateChecked(rng.Normal(i));
        return a;
    }

    private static int XSize(Conv2dGeometry g) => g.Batch * g.InChannels * g.InPlane;
    private static int YSize(Conv2dGeometry g) => g.Batch * g.OutChannels * g.OutPlane;
    private static int WSize(Conv2dGeometry g) => g.OutChannels * g.PatchSize;

    // The input position read by output (i, j) at kernel tap (a, e), or -1 when it falls in the padding.
    private static int InputIndex(Conv2dGeometry g, int n, int ch, int i, int j, int a, int e)
    {
        int ih = i * g.StrideH - g.PadTop + a * g.DilationH, iw = j * g.StrideW - g.PadLeft + e * g.DilationW;
        if (ih < 0 || ih >= g.InH || iw < 0 || iw >= g.InW) return -1;
        return ((n * g.InChannels + ch) * g.InH + ih) * g.InW + iw;
    }

    // y[n,k,i,j] = b[k] + sum_{c,a,e} x[n, G*Cg + c, i*s - pt + a*d, j*s - pl + e*d] w[k,c,a,e]
    private static double[] SlowForward(double[] x, double[] w, double[]? b, Conv2dGeometry g)
    {
        var y = new double[YSize(g)];
        int cg = g.InChannelsPerGroup, kg = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                    {
                        double s = b?[k] ?? 0;
                        for (int c = 0; c < cg; c++)
                            for (int a = 0; a < g.KernelH; a++)
                                for (int e = 0; e < g.KernelW; e++)
                                {
                                    int xi = InputIndex(g, n, k / kg * cg + c, i, j, a, e);
                                    if (xi >= 0) s += x[xi] * w[((k * cg + c) * g.KernelH + a) * g.KernelW + e];
                                }
                        y[((n * g.OutChannels + k) * g.OutH + i) * g.OutW + j] = s;
                    }
        return y;
    }

    // Scatter: every z[n,k,i,j] w[k,c,a,e] lands on the input position the forward reads it from.
    private static double[] SlowTranspose(double[] z, double[] w, double[]? b, Conv2dGeometry g)
    {
        var y = new double[XSize(g)];
        int cg = g.InChannelsPerGroup, kg = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                        for (int c = 0; c < cg; c++)
                            for (int a = 0; a < g.KernelH; a++)
                                for (int e = 0; e < g.KernelW; e++)
                                {
                                    int yi = InputIndex(g, n, k / kg * cg + c, i, j, a, e);
                                    if (yi >= 0) y[yi] += z[((n * g.OutChannels + k) * g.OutH + i) * g.OutW + j] * w[((k * cg + c) * g.KernelH + a) * g.KernelW + e];
                                }
        if (b is not null)
            for (int i = 0; i < y.Length; i++) y[i] += b[i / g.InPlane % g.InChannels];
        return y;
    }

    // gw[k,c,a,e] = sum_{n,i,j} gy[n,k,i,j] x[n, G*Cg + c, i*s - pt + a*d, j*s - pl + e*d]
    private static double[] SlowWeightGrad(double[] x, double[] gy, Conv2dGeometry g)
    {
        var gw = new double[WSize(g)];
        int cg = g.InChannelsPerGroup, kg = g.OutChannelsPerGroup;
        for (int n = 0; n < g.Batch; n++)
            for (int k = 0; k < g.OutChannels; k++)
                for (int i = 0; i < g.OutH; i++)
                    for (int j = 0; j < g.OutW; j++)
                        for (int c = 0; c < cg; c++)
                            for (int a = 0; a < g.KernelH; a++)
                                for (int e = 0; e < g.KernelW; e++)
                                {
                                    int xi = InputIndex(g, n, k / kg * cg + c, i, j, a, e);
                                    if (xi >= 0) gw[((k * cg + c) * g.KernelH + a) * g.KernelW + e] += gy[((n * g.OutChannels + k) * g.OutH + i) * g.OutW + j] * x[xi];
                                }
        return gw;
    }

    private static double[] ToDouble<T>(T[] a) where T : unmanaged, IFloatingPointIeee754<T> => Array.ConvertAll(a, v => double.CreateChecked(v));

    private static void AssertClose<T>(double[] expected, T[] actual, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateChecked(actual[i]);
            Assert.True(Math.Abs(a - expected[i]) <= tol * (1 + Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {a}");
        }
    }

    private static double Tol<T>() => typeof(T) == typeof(float) ? 1e-4 : 1e-12;

    private static void ForwardMatches<T>(Conv2dGeometry g, int seed, bool bias, bool direct = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = Random<T>(seed, XSize(g)), w = Random<T>(seed + 1, WSize(g));
        T[]? b = bias ? Random<T>(seed + 2, g.OutChannels) : null;
        var y = new T[YSize(g)];
        if (direct) DirectConv.Forward(x, w, b, y, g);
        else Conv2dKernels.Forward(x, w, b, y, g);
        AssertClose(SlowForward(ToDouble(x), ToDouble(w), b is null ? null : ToDouble(b), g), y, Tol<T>());
    }

    private static void TransposeMatches<T>(Conv2dGeometry g, int seed, bool bias) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] z = Random<T>(seed, YSize(g)), w = Random<T>(seed + 1, WSize(g));
        T[]? b = bias ? Random<T>(seed + 2, g.InChannels) : null;
        var y = new T[XSize(g)];
        Conv2dKernels.Transpose(z, w, b, y, g);
        AssertClose(SlowTranspose(ToDouble(z), ToDouble(w), b is null ? null : ToDouble(b), g), y, Tol<T>());
    }

    private static void WeightGradMatches<T>(Conv2dGeometry g, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] x = Random<T>(seed, XSize(g)), gy = Random<T>(seed + 1, YSize(g));
        var gw = new T[WSize(g)];
        Conv2dKernels.WeightGrad(x, gy, gw, g);
        AssertClose(SlowWeightGrad(ToDouble(x), ToDouble(gy), g), gw, Tol<T>());
    }

    [Fact]
    public void Forward_GeneratedGeometries_EqualsSlowLoop() =>
        Check(Geometries, c =>
        {
            ForwardMatches<float>(c.G, c.Seed, bias: c.Seed % 2 == 0);
            ForwardMatches<double>(c.G, c.Seed, bias: c.Seed % 2 == 1);
        });

    [Fact]
    public void Transpose_GeneratedGeometries_EqualsSlowScatter() =>
        Check(Geometries, c =>
        {
            TransposeMatches<float>(c.G, c.Seed, bias: c.Seed % 2 == 0);
            TransposeMatches<double>(c.G, c.Seed, bias: c.Seed % 2 == 1);
        });

    [Fact]
    public void WeightGrad_GeneratedGeometries_EqualsSlowLoop() =>
        Check(Geometries, c =>
        {
            WeightGradMatches<float>(c.G, c.Seed);
            WeightGradMatches<double>(c.G, c.Seed);
        });

    [Fact]
    public void Kernels_PointwiseGeometry_EqualSlowLoops()
    {
        // 1x1 kernel, stride 1, no padding: the column blocks are read from the input in place
        var g = new Conv2dGeometry(3, 4, 5, 3, 6, 1, 1, 5, 3, 1, 1, 0, 0, 1, 1, 2);
        ForwardMatches<float>(g, 7, bias: true);
        ForwardMatches<double>(g, 7, bias: true);
        TransposeMatches<float>(g, 8, bias: true);
        TransposeMatches<double>(g, 8, bias: false);
        WeightGradMatches<float>(g, 9);
        WeightGradMatches<double>(g, 9);
    }

    [Fact]
    public void Kernels_BatchLargeEnoughForParallel_EqualSlowLoopsAndRepeatBitwise()
    {
        // 8 * 16 * 15*13 * 4*9 multiply-adds: above the parallel threshold; 11 samples make uneven weight-gradient chunks
        var g = new Conv2dGeometry(11, 8, 15, 13, 16, 3, 3, 15, 13, 1, 1, 1, 1, 1, 1, 2);
        ForwardMatches<float>(g, 1, bias: true);
        TransposeMatches<double>(g, 2, bias: true);
        WeightGradMatches<double>(g, 3);
        float[] x = Random<float>(4, XSize(g)), gy = Random<float>(5, YSize(g));
        float[] gw1 = new float[WSize(g)], gw2 = new float[WSize(g)];
        Conv2dKernels.WeightGrad(x, gy, gw1, g);
        Conv2dKernels.WeightGrad(x, gy, gw2, g);
        Assert.Equal(gw1, gw2);
    }

    // Geometries past the implicit GEMM's block sizes: more than one block of the patch (Cg*kh*kw > 256) and of
    // the output plane (> 512 columns; > 256 for the weight gradient's depth), batches below 8 (samples cut
    // into column ranges), output channels not a multiple of 8, groups, padding on one side, stride 2, and a
    // patch of at least four weight-gradient blocks (samples prepared a group at a time, more than one group),
    // padded output rows a multiple of 8 wide (the weight gradient transposes whole 8 x 8 tiles per row), and a
    // batch of several groups of samples on the weight gradient's shared path.
    public static IEnumerable<object[]> LargeGeometries()
    {
        yield return [new Conv2dGeometry(3, 40, 16, 16, 24, 3, 3, 16, 16, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(37, 32, 8, 8, 16, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 32, 26, 23, 13, 3, 3, 26, 23, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 20, 25, 30, 18, 3, 3, 24, 29, 1, 1, 1, 0, 1, 1, 2)];
        yield return [new Conv2dGeometry(9, 30, 12, 11, 9, 1, 1, 12, 11, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 16, 23, 21, 24, 3, 3, 12, 11, 2, 2, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(1, 3, 33, 35, 10, 5, 5, 31, 33, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(10, 60, 9, 10, 12, 3, 3, 9, 10, 1, 1, 1, 1, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(LargeGeometries))]
    public void Kernels_LargeGeometries_EqualSlowLoops(Conv2dGeometry g) => AllKernelsMatch(g, seed: 11);

    // Forward (with and without bias), transpose and weight gradient against the slow loops, in f32 and f64.
    private static void AllKernelsMatch(Conv2dGeometry g, int seed)
    {
        ForwardMatches<float>(g, seed, bias: true);
        ForwardMatches<double>(g, seed + 1, bias: false);
        ForwardMatches<double>(g, seed + 6, bias: true);
        TransposeMatches<float>(g, seed + 2, bias: false);
        TransposeMatches<double>(g, seed + 3, bias: true);
        WeightGradMatches<float>(g, seed + 4);
        WeightGradMatches<double>(g, seed + 5);
    }

    // Depthwise (one channel per group) with unit horizontal stride takes the direct kernels: 3x3 and other
    // kernel sizes, widths with every vector tail (whole Vector512s, a Vector256, scalars), vertical stride
    // and dilation, and batches above 8 (weight-gradient chunks). Width-keeping 3x3 kernels read the input in
    // place (DepthwiseRows): widths of whole vectors, a partial last vector, below one vector; rows above and
    // below the input from vertical padding, stride and dilation.
    public static IEnumerable<object[]> DepthwiseGeometries()
    {
        yield return [new Conv2dGeometry(10, 5, 9, 37, 5, 3, 3, 9, 37, 1, 1, 1, 1, 1, 1, 5)];
        yield return [new Conv2dGeometry(3, 4, 11, 29, 4, 3, 3, 5, 27, 2, 1, 1, 0, 1, 2, 4)];
        yield return [new Conv2dGeometry(2, 3, 8, 40, 3, 5, 5, 8, 40, 1, 1, 2, 2, 1, 1, 3)];
        yield return [new Conv2dGeometry(12, 2, 6, 19, 2, 1, 3, 6, 17, 1, 1, 0, 0, 1, 1, 2)];
        yield return [new Conv2dGeometry(9, 3, 6, 32, 3, 3, 3, 6, 32, 1, 1, 1, 1, 1, 1, 3)];
        yield return [new Conv2dGeometry(2, 2, 11, 7, 2, 3, 3, 4, 7, 2, 1, 0, 1, 2, 1, 2)];
        yield return [new Conv2dGeometry(1, 2, 5, 20, 2, 3, 3, 7, 20, 1, 1, 2, 1, 1, 1, 2)];
    }

    [Theory]
    [MemberData(nameof(DepthwiseGeometries))]
    public void Kernels_Depthwise_EqualSlowLoops(Conv2dGeometry g) => AllKernelsMatch(g, seed: 21);

    // Unpadded 1x1 kernels with unit strides take the per-sample product for the weight gradient (PointwiseKernels):
    // one sample, batches above the chunk count, groups, planes that are not a whole number of vectors.
    public static IEnumerable<object[]> PointwiseGeometries()
    {
        yield return [new Conv2dGeometry(1, 16, 5, 37, 24, 1, 1, 5, 37, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(10, 8, 4, 9, 6, 1, 1, 4, 9, 1, 1, 0, 0, 1, 1, 2)];
        yield return [new Conv2dGeometry(3, 40, 8, 8, 33, 1, 1, 8, 8, 1, 1, 0, 0, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(PointwiseGeometries))]
    public void Kernels_Pointwise_EqualSlowLoops(Conv2dGeometry g) => AllKernelsMatch(g, seed: 51);

    // Fewer than 8 output channels per group with unit strides take the direct few-channel kernel, forward or as
    // the transpose's flipped forward (fewer than 8 input channels): channel tiles full and partial, widths with
    // partial vectors, more samples than parallel items, groups, dilation, no padding, a plane below one tile.
    public static IEnumerable<object[]> FewChannelGeometries()
    {
        yield return [new Conv2dGeometry(20, 16, 9, 37, 3, 3, 3, 9, 37, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(18, 3, 17, 21, 12, 3, 3, 17, 21, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 6, 10, 33, 10, 3, 3, 10, 33, 1, 1, 1, 2, 1, 2, 2)];
        yield return [new Conv2dGeometry(1, 5, 4, 7, 7, 2, 2, 3, 6, 1, 1, 0, 0, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(FewChannelGeometries))]
    public void Kernels_FewChannels_EqualSlowLoops(Conv2dGeometry g) => AllKernelsMatch(g, seed: 41);

    // Ungrouped 3x3 kernels with unit strides, more than 16 output channels and more than 4 input channels take the register-tiled weight gradient
    // (Conv3x3WeightGrad): output channels not a multiple of a block (32 floats, 16 doubles), odd widths, one sample,
    // no padding (the input read in place), padding on two sides only with a cut output, samples summed in groups of
    // uneven size over batch chunks, blocks split into ranges (with and without chunks), more than 9 patch blocks.
    public static IEnumerable<object[]> WeightGrad3x3Geometries()
    {
        yield return [new Conv2dGeometry(3, 5, 13, 7, 40, 3, 3, 13, 7, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(1, 5, 9, 17, 17, 3, 3, 9, 17, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 6, 11, 10, 33, 3, 3, 9, 8, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 5, 6, 7, 20, 3, 3, 7, 7, 1, 1, 2, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(37, 8, 5, 5, 64, 3, 3, 5, 5, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 64, 4, 4, 256, 3, 3, 4, 4, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(1, 256, 2, 3, 520, 3, 3, 2, 3, 1, 1, 1, 1, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(WeightGrad3x3Geometries))]
    public void WeightGrad_3x3UnitStride_EqualsSlowLoop(Conv2dGeometry g)
    {
        WeightGradMatches<float>(g, 61);
        WeightGradMatches<double>(g, 62);
    }

    // Unit strides and dilation, one group, at least 8 channels, rows of (nearly) whole vectors take the packing-free
    // kernel (DirectConv): odd and non-square sizes, output channels not a multiple of 8, padding 0, 1 and 2, kernels
    // 3x3, 5x5, 2x3 and 1x3, one sample, samples whose segments are not whole tiles (grouped by 3, the last group
    // partial), an output cut below the formula, and a batch large enough to run in parallel; partial rows with two
    // depth blocks (a patch of 288, the bias added after the second) and a last row panel of 2 channels; fewer than 8
    // input channels with rows of whole vectors (16 wide for both element types); and fewer than 8 input channels with
    // partial rows (the shifted copies): 3x3 padded, 5x5 padded by 2 on non-square inputs, 2x3 unpadded with an output
    // cut below the formula, a plane of 9 outputs (under one vector), and batches in groups of 3 with a partial last one.
    public static IEnumerable<object[]> DirectGeometries()
    {
        yield return [new Conv2dGeometry(2, 3, 9, 20, 16, 3, 3, 9, 20, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(4, 1, 11, 13, 9, 5, 5, 11, 13, 1, 1, 2, 2, 1, 1, 1)];
        yield return [new Conv2dGeometry(5, 2, 12, 14, 8, 2, 3, 10, 11, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(7, 3, 3, 3, 12, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(10, 3, 28, 28, 32, 3, 3, 28, 28, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 32, 7, 15, 10, 3, 3, 7, 15, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 3, 9, 32, 16, 3, 3, 9, 32, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 1, 10, 16, 12, 5, 5, 10, 16, 1, 1, 2, 2, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 8, 15, 15, 13, 3, 3, 15, 15, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(1, 10, 9, 31, 16, 3, 3, 9, 31, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(4, 12, 7, 16, 8, 5, 5, 7, 16, 1, 1, 2, 2, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 8, 18, 18, 24, 3, 3, 16, 16, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(5, 9, 14, 30, 17, 2, 3, 13, 30, 1, 1, 0, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 8, 16, 16, 8, 3, 3, 15, 15, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 8, 6, 32, 9, 1, 3, 6, 32, 1, 1, 0, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(11, 16, 16, 16, 16, 3, 3, 16, 16, 1, 1, 1, 1, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(DirectGeometries))]
    public void Kernels_Direct_EqualSlowLoops(Conv2dGeometry g)
    {
        Assert.True(DirectConv.Applies<float>(g) && DirectConv.Applies<double>(g));
        AllKernelsMatch(g, seed: 61);
    }

    // The packing-free kernel itself on shapes the dispatch leaves to the implicit GEMM: rows far from whole vectors
    // (most lanes unstored, and float rows of 9 against double rows of 8 + 1), a 1x1 kernel, and 8-wide rows.
    public static IEnumerable<object[]> DirectOnlyGeometries()
    {
        yield return [new Conv2dGeometry(3, 16, 8, 8, 16, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 8, 9, 9, 11, 3, 3, 9, 9, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(2, 16, 8, 8, 8, 1, 1, 8, 8, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(1, 8, 5, 40, 9, 3, 3, 5, 40, 1, 1, 1, 1, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(DirectOnlyGeometries))]
    public void Direct_OtherGeometries_EqualsSlowLoop(Conv2dGeometry g)
    {
        ForwardMatches<float>(g, 71, bias: true, direct: true);
        ForwardMatches<double>(g, 72, bias: false, direct: true);
    }

    public static IEnumerable<object[]> ThreadCountGeometries()
    {
        yield return [new Conv2dGeometry(7, 16, 16, 16, 24, 3, 3, 16, 16, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(21, 3, 20, 20, 16, 3, 3, 20, 20, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(13, 16, 20, 20, 24, 3, 3, 20, 20, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 12, 30, 30, 12, 3, 3, 30, 30, 1, 1, 1, 1, 1, 1, 12)];
        yield return [new Conv2dGeometry(5, 8, 21, 21, 16, 3, 3, 11, 11, 2, 2, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(11, 64, 10, 10, 16, 3, 3, 10, 10, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(37, 32, 8, 8, 16, 3, 3, 8, 8, 1, 1, 1, 1, 1, 1, 1)];
        yield return [new Conv2dGeometry(13, 48, 16, 16, 40, 1, 1, 16, 16, 1, 1, 0, 0, 1, 1, 1)];
        yield return [new Conv2dGeometry(3, 64, 6, 6, 512, 3, 3, 6, 6, 1, 1, 1, 1, 1, 1, 1)];
    }

    [Theory]
    [MemberData(nameof(ThreadCountGeometries))]
    public void Kernels_OneThreadAndSeveral_EqualBitwise(Conv2dGeometry g)
    {
        float[] x = Random<float>(31, XSize(g)), w = Random<float>(32, WSize(g)), gy = Random<float>(33, YSize(g));
        (float[] Y, float[] X, float[] W) Run(int threads) => Threads.With(threads, () =>
        {
            float[] y = new float[YSize(g)], gx = new float[XSize(g)], gw = new float[WSize(g)];
            Conv2dKernels.Forward(x, w, null, y, g);
            Conv2dKernels.Transpose(gy, w, null, gx, g);
            Conv2dKernels.WeightGrad(x, gy, gw, g);
            return (y, gx, gw);
        });
        var one = Run(1);
        var four = Run(4);
        Assert.Equal(one.Y, four.Y);
        Assert.Equal(one.X, four.X);
        Assert.Equal(one.W, four.W);
    }
}
