using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Layers;

public class InitializerTests
{
    private static (double Std, double MaxAbs) Stats(Tensor t)
    {
        var v = t.ToDoubleArray();
        double mean = v.Average();
        return (Math.Sqrt(v.Select(x => (x - mean) * (x - mean)).Average()), v.Max(Math.Abs));
    }

    // weight [64, 32, 3, 3]: fan-in 288, fan-out 576
    private static readonly Shape W = Shape.Create([64, 32, 3, 3]);

    [Fact]
    public void KaimingUniform_Relu_FanIn_HasBoundSqrt6OverFanIn()
    {
        var (std, max) = Stats(Initializers.KaimingUniform(Rng.Seed(1), W, FanMode.FanIn, Nonlinearity.Relu, dtype: DType.Float64));
        double bound = Math.Sqrt(6.0 / 288);
        Assert.InRange(max, 0.99 * bound, bound);
        Assert.InRange(std, 0.97 * Math.Sqrt(2.0 / 288), 1.03 * Math.Sqrt(2.0 / 288));
    }

    [Fact]
    public void KaimingNormal_FanOut_HasStdGainOverSqrtFanOut()
    {
        var (std, _) = Stats(Initializers.KaimingNormal(Rng.Seed(2), W, FanMode.FanOut, Nonlinearity.Relu, dtype: DType.Float64));
        Assert.InRange(std, 0.97 * Math.Sqrt(2.0 / 576), 1.03 * Math.Sqrt(2.0 / 576));
    }

    [Fact]
    public void KaimingUniform_LeakyReluSqrt5_EqualsPyTorchDefaultBound()
    {
        // PyTorch's Conv2d/Linear default: kaiming_uniform_(a = sqrt(5)) gives bound 1 / sqrt(fan_in)
        var (_, max) = Stats(Initializers.KaimingUniform(Rng.Seed(3), W, negativeSlope: Math.Sqrt(5), dtype: DType.Float64));
        Assert.InRange(max, 0.99 / Math.Sqrt(288), 1.0 / Math.Sqrt(288) + 1e-12);
    }

    [Fact]
    public void Xavier_UniformAndNormal_UseFanInPlusFanOut()
    {
        var (stdU, maxU) = Stats(Initializers.XavierUniform(Rng.Seed(4), W, gain: 2, dtype: DType.Float64));
        Assert.InRange(maxU, 0.99 * 2 * Math.Sqrt(6.0 / 864), 2 * Math.Sqrt(6.0 / 864));
        var (stdN, _) = Stats(Initializers.XavierNormal(Rng.Seed(5), W, dtype: DType.Float64));
        Assert.InRange(stdN, 0.97 * Math.Sqrt(2.0 / 864), 1.03 * Math.Sqrt(2.0 / 864));
        Assert.InRange(stdU, 0.97 * 2 * Math.Sqrt(2.0 / 864), 1.03 * 2 * Math.Sqrt(2.0 / 864));
    }

    [Fact]
    public void Gain_MatchesTorchCalculateGain()
    {
        Assert.Equal(1.0, Initializers.Gain(Nonlinearity.Linear));
        Assert.Equal(5.0 / 3.0, Initializers.Gain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2), Initializers.Gain(Nonlinearity.Relu));
        Assert.Equal(Math.Sqrt(2.0 / 1.0001), Initializers.Gain(Nonlinearity.LeakyRelu), 15);
    }

    [Fact]
    public void ZerosOnes_AreConstant()
    {
        Assert.All(Initializers.Zeros([3]).ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.All(Initializers.Ones([3]).ToDoubleArray(), v => Assert.Equal(1.0, v));
    }

    [Fact]
    public void Fans_OfVector_IsAClearError() =>
        Assert.Contains("rank 2", Assert.Throws<ArgumentException>(() => Initializers.KaimingNormal(Rng.Seed(1), [5])).Message);
}
