using Cnn.Autodiff;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class MathLaws
{
    // +-(|x| + 0.1) with a random sign per element: every element at least 0.1 from the kink at 0.
    private static Var OffZero(Var x, int[] shape, int seed)
    {
        var sign = Tensor.Generate(shape, DType.Float64, i => Rng.Seed(seed).Uniform(i) < 0.5 ? -1 : 1);
        return sign * (Op.Relu(x) + Op.Relu(-x) + 0.1);
    }

    /// <summary>
    /// <see cref="Law.Gradient"/> with an error floor of 1e-2 instead of 1e-3: exp and powers reach values
    /// near 100, and when &lt;c, J t&gt; cancels to near 0 the float64 rounding of the finite differences
    /// (about 1e-16 * 100 * size / 1e-6) alone exceeds 1e-6 of a 1e-3 floor. A wrong pullback is still off
    /// by the size of the product itself, far above 1e-8.
    /// </summary>
    private static void Gradient(string name, Func<IReadOnlyList<Var>, Var> f, int seed, params int[][] shapes)
    {
        var keys = Rng.Seed(seed).Split(shapes.Length + 1);
        var xs = shapes.Select((s, i) => Tensor.RandomNormal(keys[i], s, dtype: DType.Float64)).ToArray();
        GradCheck.Assert(name, f, xs, keys[^1], new GradCheckOptions(1e-6, 1e-6, 1e-2));
    }

    // 0.5 + x^2: a positive argument for log, sqrt and fractional powers.
    private static Var Positive(Var x) => 0.5 + x * x;

    [Fact]
    public void Exp_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("exp", xs => Op.Exp(xs[0]), c.Seed, c.Shape));

    [Fact]
    public void Log_PositiveInput_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("log", xs => Op.Log(Positive(xs[0])), c.Seed, c.Shape));

    [Fact]
    public void Sqrt_PositiveInput_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("sqrt", xs => Op.Sqrt(Positive(xs[0])), c.Seed, c.Shape));

    [Fact]
    public void Square_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("square", xs => Op.Square(xs[0]), c.Seed, c.Shape));

    [Fact]
    public void Pow_AnyExponentOnPositiveBase_GradientMatchesFiniteDifferences() =>
        Law.Check(
            from c in Law.ShapeAndSeed()
            from p in Gen.Elements(-1.5, -1.0, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0)
            select (c.Shape, c.Seed, p),
            c => Gradient($"pow p={c.p}", xs => Op.Pow(Positive(xs[0]), c.p), c.Seed, c.Shape));

    [Fact]
    public void Pow_IntegerExponentOnAnySign_GradientMatchesFiniteDifferences() =>
        Law.Check(
            from c in Law.ShapeAndSeed()
            from p in Gen.Elements(2.0, 3.0, 4.0)
            select (c.Shape, c.Seed, p),
            c => Gradient($"pow p={c.p}", xs => Op.Pow(xs[0], c.p), c.Seed, c.Shape));

    [Fact]
    public void Abs_AwayFromKink_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("abs", xs => Op.Abs(OffZero(xs[0], c.Shape, c.Seed)), c.Seed, c.Shape));

    [Fact]
    public void LeakyRelu_AwayFromKink_GradientMatchesFiniteDifferences() =>
        Law.Check(
            from c in Law.ShapeAndSeed()
            from slope in Gen.Elements(0.01, 0.2, -0.5, 1.5)
            select (c.Shape, c.Seed, slope),
            c => Gradient($"leaky_relu slope={c.slope}", xs => Op.LeakyRelu(OffZero(xs[0], c.Shape, c.Seed), c.slope), c.Seed, c.Shape));

    [Fact]
    public void Sigmoid_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("sigmoid", xs => Op.Sigmoid(xs[0]), c.Seed, c.Shape));

    [Fact]
    public void Tanh_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Gradient("tanh", xs => Op.Tanh(xs[0]), c.Seed, c.Shape));

    [Fact]
    public void SmoothOps_SecondDerivative_GradientMatchesFiniteDifferences() =>
        // the gradient of each op (a function of x recorded from its pullback) is itself checked
        Law.Check(Law.ShapeAndSeed(maxRank: 3), c =>
        {
            Gradient("exp'", xs => Diff.Grad(z => Op.Sum(Op.Exp(z)))(xs[0]), c.Seed, c.Shape);
            Gradient("log'", xs => Diff.Grad(z => Op.Sum(Op.Log(Positive(z))))(xs[0]), c.Seed, c.Shape);
            Gradient("sqrt'", xs => Diff.Grad(z => Op.Sum(Op.Sqrt(Positive(z))))(xs[0]), c.Seed, c.Shape);
            Gradient("square'", xs => Diff.Grad(z => Op.Sum(Op.Square(z)))(xs[0]), c.Seed, c.Shape);
            Gradient("pow'", xs => Diff.Grad(z => Op.Sum(Op.Pow(Positive(z), 2.5)))(xs[0]), c.Seed, c.Shape);
            Gradient("sigmoid'", xs => Diff.Grad(z => Op.Sum(Op.Sigmoid(z)))(xs[0]), c.Seed, c.Shape);
            Gradient("tanh'", xs => Diff.Grad(z => Op.Sum(Op.Tanh(z)))(xs[0]), c.Seed, c.Shape);
        }, maxTest: 20);

    [Fact]
    public void PiecewiseLinearOps_GradientOfGradient_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(maxRank: 3), c =>
        {
            Gradient("abs'", xs => Diff.Grad(z => Op.Sum(Op.Abs(z) * z))(OffZero(xs[0], c.Shape, c.Seed)), c.Seed, c.Shape);
            Gradient("leaky_relu'", xs => Diff.Grad(z => Op.Sum(Op.LeakyRelu(z, 0.3) * z))(OffZero(xs[0], c.Shape, c.Seed)), c.Seed, c.Shape);
        }, maxTest: 20);
}
