using Cnn.Autodiff;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class ArithmeticLaws
{
    private static readonly FsCheck.Gen<(int[] A, int[] B, int Seed)> BroadcastPair =
        from a in Law.ShapeGen()
        from bits in FsCheck.Fluent.Gen.Choose(0, 1 << 10)
        from seed in Law.Seed
        from swap in FsCheck.Fluent.Gen.Elements(true, false)
        let b = Law.BroadcastPartner(a, bits)
        select swap ? (b, a, seed) : (a, b, seed);

    [Fact]
    public void Add_BroadcastShapes_GradientMatchesFiniteDifferences() =>
        Law.Check(BroadcastPair, c => Law.Gradient("add", xs => xs[0] + xs[1], c.Seed, c.A, c.B));

    [Fact]
    public void Subtract_BroadcastShapes_GradientMatchesFiniteDifferences() =>
        Law.Check(BroadcastPair, c => Law.Gradient("sub", xs => xs[0] - xs[1], c.Seed, c.A, c.B));

    [Fact]
    public void Multiply_BroadcastShapes_GradientMatchesFiniteDifferences() =>
        Law.Check(BroadcastPair, c => Law.Gradient("mul", xs => xs[0] * xs[1], c.Seed, c.A, c.B));

    [Fact]
    public void Divide_BroadcastShapes_GradientMatchesFiniteDifferences() =>
        // keep the divisor away from zero: 2 + x^2
        Law.Check(BroadcastPair, c => Law.Gradient("div", xs => xs[0] / (2.0 + xs[1] * xs[1]), c.Seed, c.A, c.B));

    [Fact]
    public void Negate_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Law.Gradient("neg", xs => -xs[0], c.Seed, c.Shape));

    [Fact]
    public void Relu_AwayFromKink_GradientMatchesFiniteDifferences() =>
        // shift values off zero: |x| + 0.1 times a random sign keeps every element at least 0.1 from the kink
        Law.Check(Law.ShapeAndSeed(), c =>
        {
            var sign = Tensor.Generate(c.Shape, DType.Float64, i => Rng.Seed(c.Seed).Uniform(i) < 0.5 ? -1 : 1);
            Law.Gradient("relu", xs => Op.Relu(xs[0]), c.Seed, c.Shape);
            Law.Gradient("relu off kink", xs => Op.Relu(sign * (Op.Relu(xs[0]) + Op.Relu(-xs[0]) + 0.1)), c.Seed, c.Shape);
        });

    [Fact]
    public void Add_Cotangent_PassesUnchangedToBothInputs() =>
        Law.Check(Law.ShapeAndSeed(), c =>
        {
            var (k1, k2) = Rng.Seed(c.Seed).Split();
            var x = Tensor.RandomNormal(k1, c.Shape, dtype: DType.Float64);
            var g = Tensor.RandomNormal(k2, c.Shape, dtype: DType.Float64);
            var (_, pb) = Diff.Vjp(xs => xs[0] + xs[1], x, x);
            var gs = pb(g);
            Assert.Equal(g.ToDoubleArray(), gs[0].Value.ToDoubleArray());
            Assert.Equal(g.ToDoubleArray(), gs[1].Value.ToDoubleArray());
        });

    [Fact]
    public void BroadcastTo_SumTo_AreAdjoint() =>
        // <BroadcastTo(x), y> == <x, SumTo(y)> for every x of the small shape and y of the large one
        Law.Check(BroadcastPair, c =>
        {
            var (small, large) = c.A.Aggregate(1, (p, d) => p * d) <= c.B.Aggregate(1, (p, d) => p * d) ? (c.A, c.B) : (c.B, c.A);
            if (!Cnn.Autodiff.Kernels.Broadcast.CanExpand(small, large)) return;
            var (k1, k2) = Rng.Seed(c.Seed).Split();
            var x = Tensor.RandomNormal(k1, small, dtype: DType.Float64);
            var y = Tensor.RandomNormal(k2, large, dtype: DType.Float64);
            double lhs = Op.Sum(Op.BroadcastTo(x, large) * y).Value.ToScalar();
            double rhs = Op.Sum(x * Op.SumTo(y, small)).Value.ToScalar();
            Assert.Equal(lhs, rhs, 1e-9 * Math.Max(1, Math.Abs(lhs)));
        });
}
