using Cnn.Autodiff;

namespace Cnn.Unit.Engine;

/// <summary>The gradient check tells a kink the step crossed from a wrong pullback.</summary>
public class GradCheckTests
{
    // Elements at 3e-7: the default float64 step (1e-6) times a tangent element above 0.3 crosses relu's kink.
    private static readonly Tensor NearKink = Tensor.Full([64], 3e-7, DType.Float64);

    [Fact]
    public void AKinkWithinTheStep_PassesAtATenthOfTheStep()
    {
        var nearKink = GradCheck.Check("relu", xs => Op.Sum(Op.Relu(xs[0]) * xs[0]), [NearKink], Rng.Seed(1),
            GradCheckOptions.For(DType.Float64) with { Step = 1e-6, Tolerance = 1e-6 });
        Assert.True(nearKink.Passed, nearKink.ToString());

        var crossed = GradCheck.Check("relu", xs => Op.Relu(xs[0]), [NearKink], Rng.Seed(1), new GradCheckOptions(1e-5, 1e-6, 1e-3));
        Assert.False(crossed.Passed, "at step 1e-5 a tenth of the step (1e-6) still crosses the kink, so the check must fail");
    }

    [Fact]
    public void AWrongPullback_FailsAtEveryStep()
    {
        Var WrongRelu(IReadOnlyList<Var> xs) => Op.Custom("wrong relu", xs, ts => Op.Relu(ts[0]).Value,
            (g, inputs, _) => [Op.Relu(inputs[0]) * 0 + g * 1.001]);
        var x = Tensor.Full([64], 0.5, DType.Float64);
        var r = GradCheck.Check("wrong relu", WrongRelu, [x], Rng.Seed(2));
        Assert.False(r.Passed);
        Assert.InRange(r.Worst.Error, 5e-4, 2e-3);
    }
}
