using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class ReductionLaws
{
    // A shape, a subset of its axes to reduce (null: all), keepDims and a seed.
    private static readonly Gen<(int[] Shape, int[]? Axes, bool KeepDims, int Seed)> Reduction =
        from s in Law.ShapeGen(maxRank: 4, maxDim: 4)
        from bits in Gen.Choose(0, 31)
        from all in Gen.Elements(true, false)
        from keep in Gen.Elements(true, false)
        from seed in Law.Seed
        select (s, all ? null : AxesFromBits(s.Length, bits), keep, seed);

    private static int[] AxesFromBits(int rank, int bits)
    {
        var axes = new List<int>();
        for (int a = 0; a < rank; a++) if (((bits >> a) & 1) == 1) axes.Add(a - ((bits >> 4) & 1) * rank); // some negative
        return axes.ToArray();
    }

    // Distinct values spaced by 0.01 around 0, in a seeded random order, plus noise under 0.003: no two
    // elements tie, not even within a finite-difference step, and the values stay small so rounding in the
    // finite differences stays far below the tolerance.
    private static Tensor Distinct(int[] shape, int seed)
    {
        int n = shape.Aggregate(1, (p, d) => p * d);
        var order = Enumerable.Range(0, n).Select(i => (i - n / 2.0) * 0.01).ToArray();
        new Random(seed).Shuffle(order);
        var noise = Tensor.RandomNormal(Rng.Seed(seed), shape, std: 0.0005, dtype: DType.Float64);
        return (Tensor.FromArray(order, shape) + (Var)noise).Value;
    }

    private static void GradientAtDistinct(string name, Func<Var, Var> f, int[] shape, int seed) =>
        GradCheck.Assert(name, xs => f(xs[0]), [Distinct(shape, seed)], Rng.Seed(seed + 1));

    [Fact]
    public void Max_NoTies_GradientMatchesFiniteDifferences() =>
        Law.Check(Reduction, c => GradientAtDistinct("max", x => Op.Max(x, c.Axes, c.KeepDims), c.Shape, c.Seed));

    [Fact]
    public void Min_NoTies_GradientMatchesFiniteDifferences() =>
        Law.Check(Reduction, c => GradientAtDistinct("min", x => Op.Min(x, c.Axes, c.KeepDims), c.Shape, c.Seed));

    [Fact]
    public void LogSumExp_GradientMatchesFiniteDifferences() =>
        Law.Check(Reduction, c => Law.Gradient("logsumexp", xs => Op.LogSumExp(xs[0], c.Axes, c.KeepDims), c.Seed, c.Shape));

    [Fact]
    public void LogSumExp_SecondDerivative_GradientMatchesFiniteDifferences() =>
        Law.Check(Reduction, c => Law.Gradient("logsumexp'", xs => Diff.Grad(z => Op.Sum(Op.Square(Op.LogSumExp(z, c.Axes, c.KeepDims))))(xs[0]), c.Seed, c.Shape), maxTest: 20);

    [Fact]
    public void LogSumExp_SmallValues_EqualsLogOfSumOfExp() =>
        Law.Check(Reduction, c =>
        {
            var x = Tensor.RandomNormal(Rng.Seed(c.Seed), c.Shape, dtype: DType.Float64);
            var naive = Op.Log(Op.Sum(Op.Exp(x), c.Axes, c.KeepDims)).Value;
            var stable = Op.LogSumExp(x, c.Axes, c.KeepDims).Value;
            Assert.Equal(naive.Shape, stable.Shape);
            Assert.True(stable.AllClose(naive, 1e-12, 1e-12), $"{stable} vs {naive}");
        });

    [Fact]
    public void LogSumExp_LargeValues_StaysFiniteAndShiftsByTheOffset() =>
        // logsumexp(x + 1000) = logsumexp(x) + 1000, where the naive form overflows to +inf
        Law.Check(Reduction, c =>
        {
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            {
                var x = Tensor.RandomNormal(Rng.Seed(c.Seed), c.Shape, dtype: dtype);
                var big = Op.LogSumExp((Var)x + 1000.0, c.Axes, c.KeepDims).Value;
                var small = Op.LogSumExp(x, c.Axes, c.KeepDims).Value;
                for (int i = 0; i < big.Size; i++)
                {
                    Assert.True(double.IsFinite(big.At(i)));
                    Assert.Equal(small.At(i) + 1000.0, big.At(i), dtype == DType.Float32 ? 1e-3 : 1e-9);
                }
            }
        });

    [Fact]
    public void Max_EqualsMinusMinOfNegation() =>
        Law.Check(Reduction, c =>
        {
            var x = Tensor.RandomNormal(Rng.Seed(c.Seed), c.Shape, dtype: DType.Float64);
            Assert.Equal(Op.Max(x, c.Axes, c.KeepDims).Value.ToDoubleArray(), (-Op.Min(-(Var)x, c.Axes, c.KeepDims)).Value.ToDoubleArray());
        });

    [Fact]
    public void Max_Gradient_SumsToOnePerGroupEvenWithTies() =>
        // integer values in 0..2 make ties common; the cotangent of each output is split, never lost or doubled
        Law.Check(Reduction, c =>
        {
            var x = Tensor.Generate(c.Shape, DType.Float64, i => Math.Floor(3 * Rng.Seed(c.Seed).Uniform(i)));
            var g = Diff.Grad(z => Op.Sum(Op.Max(z, c.Axes, c.KeepDims)))(x).Value;
            var perGroup = Op.Sum(g, c.Axes, c.KeepDims).Value;
            for (int i = 0; i < perGroup.Size; i++) Assert.Equal(1.0, perGroup.At(i), 1e-12);
        });

    [Fact]
    public void ArgMax_PicksAnElementEqualToMax() =>
        Law.Check(
            from s in Law.ShapeGen(maxRank: 4, maxDim: 5)
            from axis in Gen.Choose(0, 3)
            from seed in Law.Seed
            select (s, axis % s.Length, seed),
            c =>
            {
                var (shape, axis, seed) = c;
                var x = Tensor.RandomNormal(Rng.Seed(seed), shape, dtype: DType.Float32);
                var idx = Op.ArgMax(x, axis);
                var max = Op.Max(x, [axis]).Value;
                var chosen = Op.Permute(x, MoveToEnd(shape.Length, axis)).Value; // [..., K] with the axis last
                int k = shape[axis];
                Assert.Equal(max.Size, idx.Length);
                for (int i = 0; i < idx.Length; i++) Assert.Equal(max.At(i), chosen.At(i * k + idx[i]));
            });

    private static int[] MoveToEnd(int rank, int axis)
    {
        var p = new List<int>();
        for (int a = 0; a < rank; a++) if (a != axis) p.Add(a);
        p.Add(axis);
        return p.ToArray();
    }
}
