using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class PoolLaws
{
    /// <summary>Strided pooling settings per axis with at least one output position.</summary>
    public sealed record Axis(int Size, int Kernel, int Stride, int Pad, int Dilation)
    {
        public int Span => Dilation * (Kernel - 1) + 1;
    }

    /// <summary>A consistent pooling configuration: input [N, C, H, W] and per-axis settings.</summary>
    public sealed record Config(int N, int C, Axis Rows, Axis Cols, int Seed)
    {
        public int[] Shape => [N, C, Rows.Size, Cols.Size];
        public (int, int) Kernel => (Rows.Kernel, Cols.Kernel);
        public (int, int) Stride => (Rows.Stride, Cols.Stride);
        public (int, int) Pad => (Rows.Pad, Cols.Pad);
        public (int, int) Dilation => (Rows.Dilation, Cols.Dilation);
    }

    private static Gen<Axis> AxisGen(int maxDilation) =>
        from k in Gen.Choose(1, 3)
        from s in Gen.Choose(1, 3)
        from p in Gen.Choose(0, k / 2)
        from d in Gen.Choose(1, maxDilation)
        let span = d * (k - 1) + 1
        from extra in Gen.Choose(0, 4)
        select new Axis(Math.Max(1, span - 2 * p + extra), k, s, p, d);

    private static Gen<Config> ConfigGen(int maxDilation) =>
        from n in Gen.Choose(1, 2)
        from c in Gen.Choose(1, 2)
        from rows in AxisGen(maxDilation)
        from cols in AxisGen(maxDilation)
        from seed in Law.Seed
        select new Config(n, c, rows, cols, seed);

    private static readonly Gen<Config> MaxConfig = ConfigGen(maxDilation: 2);

    // With dilation a window can fall entirely on padding (its maximum is -inf); the gradient laws avoid that.
    private static readonly Gen<Config> MaxConfigFinite =
        from c in MaxConfig where SeesInput(c.Rows) && SeesInput(c.Cols) select c;
    private static readonly Gen<Config> AvgConfig = ConfigGen(maxDilation: 1);

    private static Var Max(Var x, Config c) => Op.MaxPool2d(x, c.Kernel, c.Stride, c.Pad, c.Dilation);
    private static Var Avg(Var x, Config c, bool countIncludePad) => Op.AvgPool2d(x, c.Kernel, c.Stride, c.Pad, countIncludePad);

    /// <summary>
    /// float64 values 0.1 * (a random permutation of 0..n-1, centred): all distinct, so no window has a
    /// tie, and 0.1 apart, far more than a finite-difference step moves them.
    /// </summary>
    private static Tensor Distinct(int[] shape, int seed)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var perm = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(perm);
        return Tensor.Generate(shape, DType.Float64, i => 0.1 * (perm[i] - n / 2));
    }

    // The number of window positions along an axis, counted one by one: windows start at -pad, every stride, and must end inside the padded axis.
    private static int CountPositions(Axis a)
    {
        int count = 0;
        for (int start = -a.Pad; start + a.Span <= a.Size + a.Pad; start += a.Stride) count++;
        return count;
    }

    // True when every window position has a tap inside the input.
    private static bool SeesInput(Axis a)
    {
        for (int start = -a.Pad; start + a.Span <= a.Size + a.Pad; start += a.Stride)
        {
            bool any = false;
            for (int m = 0; m < a.Kernel; m++)
            {
                int r = start + m * a.Dilation;
                if (r >= 0 && r < a.Size) any = true;
            }
            if (!any) return false;
        }
        return true;
    }

    [Fact]
    public void MaxPool2d_DistinctInputs_GradientMatchesFiniteDifferences() =>
        Law.Check(MaxConfigFinite, c =>
            GradCheck.Assert("max_pool2d", xs => Max(xs[0], c), [Distinct(c.Shape, c.Seed)], Rng.Seed(c.Seed)));

    // The arg-max indices and shapes of max pooling on a tie-free input of configuration c.
    private static (int[] Index, Shape Input, Shape Output) ArgMax(Config c)
    {
        var x = Distinct(c.Shape, c.Seed);
        var geo = Op.PoolGeometry("MaxPool2d", x.Shape, c.Kernel, c.Stride, c.Pad, c.Dilation);
        var index = new int[geo.Planes * geo.OutH * geo.OutW];
        PoolKernels.MaxPool(x.Array<double>(), new double[index.Length], index, geo);
        return (index, x.Shape, [c.N, c.C, geo.OutH, geo.OutW]);
    }

    [Fact]
    public void MaxPool2dBackward_GradientMatchesFiniteDifferences() =>
        // the scatter-add is linear in g; its pullback is the gather by the same indices
        Law.Check(MaxConfig, c =>
        {
            var (index, input, output) = ArgMax(c);
            Law.Gradient("max_pool2d_backward", gs => Op.MaxPool2dBackward(gs[0], index, input), c.Seed, output.ToArray());
        });

    [Fact]
    public void MaxPool2dGather_GradientMatchesFiniteDifferences() =>
        // the gather is linear in x; its pullback is the scatter-add by the same indices
        Law.Check(MaxConfig, c =>
        {
            var (index, input, output) = ArgMax(c);
            Law.Gradient("max_pool2d_gather", xs => Op.MaxPool2dGather(xs[0], index, output), c.Seed, input.ToArray());
        });

    [Fact]
    public void AvgPool2dBackward_GradientMatchesFiniteDifferences() =>
        // the transpose of average pooling, differentiated through its own pullback (average pooling again)
        Law.Check(from c in AvgConfig from cip in Gen.Elements(true, false) select (c, cip), t =>
        {
            var (c, cip) = t;
            var pool = new AveragePooling("avg_pool2d", "",
                AxisWindows.Strided(c.Rows.Size, c.Rows.Kernel, c.Rows.Stride, c.Rows.Pad, cip),
                AxisWindows.Strided(c.Cols.Size, c.Cols.Kernel, c.Cols.Stride, c.Cols.Pad, cip));
            Law.Gradient("avg_pool2d_backward", gs => Op.WindowAverageTranspose(gs[0], pool), c.Seed, [c.N, c.C, pool.Rows.Count, pool.Cols.Count]);
        });

    [Fact]
    public void AvgPool2d_CountIncludePad_GradientMatchesFiniteDifferences() =>
        Law.Check(AvgConfig, c => Law.Gradient("avg_pool2d", xs => Avg(xs[0], c, countIncludePad: true), c.Seed, c.Shape));

    [Fact]
    public void AvgPool2d_CountExcludePad_GradientMatchesFiniteDifferences() =>
        Law.Check(AvgConfig, c => Law.Gradient("avg_pool2d", xs => Avg(xs[0], c, countIncludePad: false), c.Seed, c.Shape));

    private static readonly Gen<(int[] Shape, int OutH, int OutW, int Seed)> AdaptiveConfig =
        from n in Gen.Choose(1, 2)
        from c in Gen.Choose(1, 2)
        from h in Gen.Choose(1, 7)
        from w in Gen.Choose(1, 7)
        from oh in Gen.Choose(1, 7)
        from ow in Gen.Choose(1, 7)
        from seed in Law.Seed
        select (new[] { n, c, h, w }, oh, ow, seed);

    [Fact]
    public void AdaptiveAvgPool2d_AnyOutputSize_GradientMatchesFiniteDifferences() =>
        Law.Check(AdaptiveConfig, c =>
            Law.Gradient("adaptive_avg_pool2d", xs => Op.AdaptiveAvgPool2d(xs[0], c.OutH, c.OutW), c.Seed, c.Shape));

    [Fact]
    public void GlobalAvgPool2d_GradientMatchesFiniteDifferences() =>
        Law.Check(AdaptiveConfig, c => Law.Gradient("global_avg_pool2d", xs => Op.GlobalAvgPool2d(xs[0]), c.Seed, c.Shape));

    [Fact]
    public void AdaptiveAvgPool2d_OutputOneByOne_EqualsGlobalAvgPool2d() =>
        Law.Check(AdaptiveConfig, c =>
        {
            var x = Tensor.RandomNormal(Rng.Seed(c.Seed), c.Shape, dtype: DType.Float64);
            var a = Op.Reshape(Op.AdaptiveAvgPool2d(x, 1, 1), c.Shape[0], c.Shape[1]).Value;
            Assert.True(a.AllClose(Op.GlobalAvgPool2d(x).Value, 1e-12, 1e-12));
        });

    [Fact]
    public void Pool2d_OutputShape_CountsWindowPositions() =>
        Law.Check(MaxConfig, c =>
        {
            var x = Tensor.Zeros(c.Shape, DType.Float64);
            int[] expected = [c.N, c.C, CountPositions(c.Rows), CountPositions(c.Cols)];
            Assert.Equal(expected, Max(x, c).Shape.ToArray());
            Assert.Equal(expected[2], Pool2dGeometry.OutputSize(c.Rows.Size, c.Rows.Kernel, c.Rows.Stride, c.Rows.Pad, c.Rows.Dilation));
            if (c.Rows.Dilation == 1 && c.Cols.Dilation == 1)
                Assert.Equal(expected, Avg(x, c, countIncludePad: false).Shape.ToArray());
        }, maxTest: 200);

    [Fact]
    public void MaxPool2d_SumOfSquares_SecondOrderMatchesFiniteDifferences() =>
        Law.Check(MaxConfigFinite, c =>
        {
            var r = GradCheck.CheckSecondOrder("sum(max_pool2d(x)^2)", xs => { var y = Max(xs[0], c); return Op.Sum(y * y); }, [Distinct(c.Shape, c.Seed)], Rng.Seed(c.Seed));
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);

    [Fact]
    public void AvgPool2d_SumOfSquares_SecondOrderMatchesFiniteDifferences() =>
        Law.Check(from c in AvgConfig from cip in Gen.Elements(true, false) select (c, cip), t =>
        {
            var (c, cip) = t;
            var x = Tensor.RandomNormal(Rng.Seed(c.Seed), c.Shape, dtype: DType.Float64);
            var r = GradCheck.CheckSecondOrder("sum(avg_pool2d(x)^2)", xs => { var y = Avg(xs[0], c, cip); return Op.Sum(y * y); }, [x], Rng.Seed(c.Seed + 1));
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);

    [Fact]
    public void AdaptiveAvgPool2d_SumOfSquares_SecondOrderMatchesFiniteDifferences() =>
        Law.Check(AdaptiveConfig, c =>
        {
            var x = Tensor.RandomNormal(Rng.Seed(c.Seed), c.Shape, dtype: DType.Float64);
            var r = GradCheck.CheckSecondOrder("sum(adaptive_avg_pool2d(x)^2)", xs => { var y = Op.AdaptiveAvgPool2d(xs[0], c.OutH, c.OutW); return Op.Sum(y * y); }, [x], Rng.Seed(c.Seed + 1));
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);

    [Fact]
    public void MaxPool2d_GradientOfSum_CountsArgMaxSelections() =>
        Law.Check(MaxConfig, c =>
        {
            var x = Distinct(c.Shape, c.Seed);
            var g = Diff.Grad(v => Op.Sum(Max(v, c)))(x).Value.ToDoubleArray();
            // count, for every input position, the windows whose maximum (over taps inside the input) it is
            var counts = new double[x.Size];
            int h = c.Rows.Size, w = c.Cols.Size, oh = CountPositions(c.Rows), ow = CountPositions(c.Cols);
            for (int p = 0; p < c.N * c.C; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int best = -1;
                        for (int m = 0; m < c.Rows.Kernel; m++)
                            for (int l = 0; l < c.Cols.Kernel; l++)
                            {
                                int r = i * c.Rows.Stride - c.Rows.Pad + m * c.Rows.Dilation;
                                int s = j * c.Cols.Stride - c.Cols.Pad + l * c.Cols.Dilation;
                                if (r < 0 || r >= h || s < 0 || s >= w) continue;
                                int k = p * h * w + r * w + s;
                                if (best < 0 || x.At(k) > x.At(best)) best = k;
                            }
                        if (best >= 0) counts[best]++;
                    }
            Assert.Equal(counts, g);
        }, maxTest: 100);
}
