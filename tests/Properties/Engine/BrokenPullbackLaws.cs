using Cnn.Autodiff;
using Cnn.Testing;

namespace Cnn.Properties.Engine;

/// <summary>The checker must be able to fail: deliberately wrong pullbacks are caught.</summary>
public class BrokenPullbackLaws
{
    // y = x * x with the pullback's sign flipped.
    private static Var WrongSignSquare(Var x) =>
        Op.Custom("square_wrong_sign", [x], v => Op.Multiply(v[0], v[0]).Value, (g, xs, _) => [Op.Negate(2.0 * g * xs[0])]);

    // y = x * x with the factor 2 forgotten.
    private static Var MissingFactorSquare(Var x) =>
        Op.Custom("square_missing_factor", [x], v => Op.Multiply(v[0], v[0]).Value, (g, xs, _) => [g * xs[0]]);

    [Fact]
    public void GradCheck_WrongSignPullback_Fails() =>
        Law.Check(Law.ShapeAndSeed(), c =>
        {
            var ex = Assert.Throws<LawException>(() => { Law.Gradient("square_wrong_sign", xs => WrongSignSquare(xs[0]), c.Seed, c.Shape); });
            Assert.Contains("square_wrong_sign", ex.Message);
        });

    [Fact]
    public void GradCheck_MissingFactorPullback_Fails() =>
        Law.Check(Law.ShapeAndSeed(), c =>
        {
            Assert.Throws<LawException>(() => { Law.Gradient("square_missing_factor", xs => MissingFactorSquare(xs[0]), c.Seed, c.Shape); });
        });

    [Fact]
    public void GradCheck_CorrectCustomPullback_Passes() =>
        Law.Check(Law.ShapeAndSeed(), c =>
        {
            Law.Gradient("square", xs => Op.Custom("square", [xs[0]], v => Op.Multiply(v[0], v[0]).Value, (g, ys, _) => [2.0 * g * ys[0]]), c.Seed, c.Shape);
        });
}
