using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

public class MathTests
{
    private static Tensor T(params double[] v) => Tensor.FromArray(v);

    private static void Near(double[] expected, Var actual, double tol = 1e-12)
    {
        var a = actual.Value.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(expected[i], a[i], tol);
    }

    [Fact]
    public void Exp_HandValues_AndGradientIsExp()
    {
        Near([1, Math.E, 1 / Math.E], Op.Exp(T(0, 1, -1)));
        Near([1, Math.E], Diff.Grad(x => Op.Sum(Op.Exp(x)))(T(0, 1)));
    }

    [Fact]
    public void Log_HandValues_AndGradientIsReciprocal()
    {
        Near([0, 1, Math.Log(2)], Op.Log(T(1, Math.E, 2)));
        Near([1, 0.25], Diff.Grad(x => Op.Sum(Op.Log(x)))(T(1, 4)));
    }

    [Fact]
    public void Sqrt_HandValues_AndGradientIsHalfReciprocalRoot()
    {
        Near([0, 2, 3], Op.Sqrt(T(0, 4, 9)));
        Near([0.25, 1.0 / 6], Diff.Grad(x => Op.Sum(Op.Sqrt(x)))(T(4, 9)));
    }

    [Fact]
    public void Square_HandValues_AndGradientIsTwoX()
    {
        Near([4, 9, 0], Op.Square(T(-2, 3, 0)));
        Near([-4, 6], Diff.Grad(x => Op.Sum(Op.Square(x)))(T(-2, 3)));
    }

    [Fact]
    public void Pow_HandValues_AndGradientIsPXToPMinusOne()
    {
        Near([4, 9, 4], Op.Pow(T(2, -3, -2), 2));
        Near([-8, 2], Op.Pow(T(-2, 4), 3) / T(1, 32));
        Near([12, 27], Diff.Grad(x => Op.Sum(Op.Pow(x, 3)))(T(2, -3)));
        Near([0.25], Diff.Grad(x => Op.Sum(Op.Pow(x, 0.5)))(T(4)));
    }

    [Fact]
    public void Pow_ZeroExponentAtZero_GradientIsZeroNotNaN()
    {
        Near([1, 1], Op.Pow(T(0, 3), 0));
        Near([0, 0], Diff.Grad(x => Op.Sum(Op.Pow(x, 0)))(T(0, 3)));
    }

    [Fact]
    public void Pow_NonFiniteExponent_ThrowsNamingPow()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Pow(T(1), double.NaN));
        Assert.Contains("Pow expects a finite exponent", ex.Message);
    }

    [Fact]
    public void Abs_HandValues_AndSubgradientAtZeroIsZero()
    {
        Near([2, 0, 3], Op.Abs(T(-2, 0, 3)));
        Near([-1, 0, 0, 1], Diff.Grad(x => Op.Sum(Op.Abs(x)))(T(-2, 0, -0.0, 3)));
    }

    [Fact]
    public void LeakyRelu_HandValues_AndDerivativeAtZeroIsSlope()
    {
        Near([-0.02, 0, 3], Op.LeakyRelu(T(-2, 0, 3)));
        Near([-1, 3], Op.LeakyRelu(T(-2, 3), 0.5));
        Near([0.1, 0.1, 1], Diff.Grad(x => Op.Sum(Op.LeakyRelu(x, 0.1)))(T(-2, 0, 3)));
    }

    [Fact]
    public void Sigmoid_HandValues_SaturatesWithoutNaN()
    {
        Near([0.5, 1 / (1 + Math.Exp(-2)), 1, 0], Op.Sigmoid(T(0, 2, 1000, -1000)));
        var f32 = Op.Sigmoid(Tensor.FromArray([1000f, -1000f, 0f])).Value.ToFloatArray();
        Assert.Equal([1f, 0f, 0.5f], f32);
        Near([0.25, 0, 0], Diff.Grad(x => Op.Sum(Op.Sigmoid(x)))(T(0, 1000, -1000)));
    }

    [Fact]
    public void Tanh_HandValues_AndGradientIsOneMinusSquare()
    {
        Near([0, Math.Tanh(1), -1, 1e-30], Op.Tanh(T(0, 1, -1000, 1e-30)), 1e-15);
        Assert.Equal(1e-5f, Op.Tanh(Tensor.FromArray([1e-5f])).Value.ToFloatArray()[0], 1e-11f);
        Near([1, 1 - Math.Tanh(1) * Math.Tanh(1)], Diff.Grad(x => Op.Sum(Op.Tanh(x)))(T(0, 1)));
    }

    [Fact]
    public void UnaryOps_Float32_KeepTheElementType()
    {
        var x = Tensor.FromArray([0.5f, 2f]);
        foreach (var y in new[] { Op.Exp(x), Op.Log(x), Op.Sqrt(x), Op.Square(x), Op.Pow(x, 1.5), Op.Abs(x), Op.LeakyRelu(x), Op.Sigmoid(x), Op.Tanh(x) })
            Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(MathF.Exp(0.5f), Op.Exp(x).Value.ToFloatArray()[0], 1e-6f);
    }
}
