using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

public class MathKernelTests
{
    private const int MaxLength = 130; // every SIMD remainder for vectors of up to 64 elements, twice over

    // Random values in [-3, 3) with special values sprinkled at positions that move with the length.
    private static T[] Values<T>(int n, int seed) where T : IFloatingPointIeee754<T>
    {
        var r = new Random(seed);
        T[] specials = [T.Zero, T.NegativeZero, T.CreateChecked(1e30), T.CreateChecked(-1e30), T.CreateChecked(1e-30), T.CreateChecked(-1e-30),
            T.PositiveInfinity, T.NegativeInfinity, T.NaN, T.One, T.NegativeOne];
        var x = new T[n];
        for (int i = 0; i < n; i++)
            x[i] = r.Next(4) == 0 ? specials[r.Next(specials.Length)] : T.CreateChecked(6 * r.NextDouble() - 3);
        return x;
    }

    // The fast kernel equals the scalar formula exactly (same value, NaN where NaN) for every length.
    private static void Exact<T>(Action<T[], T[]> fast, Func<T, T> formula) where T : IFloatingPointIeee754<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            var x = Values<T>(n, n);
            var d = new T[n];
            fast(x, d);
            for (int i = 0; i < n; i++)
            {
                var e = formula(x[i]);
                Assert.True(T.IsNaN(e) ? T.IsNaN(d[i]) : e == d[i] && T.IsNegative(e) == T.IsNegative(d[i]),
                    $"length {n}, element {i}: x = {x[i]}, expected {e}, got {d[i]}");
            }
        }
    }

    // The kernel equals the scalar formula within a relative tolerance (libm and vector math may differ in the last bits).
    private static void Close<T>(Action<T[], T[]> fast, Func<T, T> formula, double rtol) where T : IFloatingPointIeee754<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            var x = Values<T>(n, 1000 + n);
            var d = new T[n];
            fast(x, d);
            for (int i = 0; i < n; i++)
            {
                double e = double.CreateChecked(formula(x[i])), a = double.CreateChecked(d[i]);
                bool ok = double.IsNaN(e) ? double.IsNaN(a)
                    : double.IsInfinity(e) ? e == a
                    : Math.Abs(e - a) <= rtol * Math.Abs(e) + 1e-300;
                Assert.True(ok, $"length {n}, element {i}: x = {x[i]}, expected {e}, got {a}");
            }
        }
    }


    // relu's fused cotangent: g where x > 0, else +0 (NaN and infinite g included), bit for bit.
    private static void WherePositiveMatchesFormula<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int n = 0; n <= MaxLength; n++)
        {
            T[] g = Values<T>(n, n), x = Values<T>(n, 500 + n), d = new T[n];
            WherePositiveKernel.Apply<T>(g, x, d);
            for (int i = 0; i < n; i++)
            {
                var e = x[i] > T.Zero ? g[i] : T.Zero;
                Assert.True(T.IsNaN(e) ? T.IsNaN(d[i]) : e == d[i] && T.IsNegative(e) == T.IsNegative(d[i]),
                    $"length {n}, element {i}: g = {g[i]}, x = {x[i]}, expected {e}, got {d[i]}");
            }
        }
    }

    [Fact]
    public void WherePositiveKernel_EveryLength_EqualsScalarLoop()
    {
        WherePositiveMatchesFormula<float>();
        WherePositiveMatchesFormula<double>();
    }

    [Fact]
    public void PositiveMaskKernel_EveryLength_EqualsScalarLoop()
    {
        Exact<float>((x, d) => PositiveMaskKernel.Apply<float>(x, d), v => v > 0 ? 1 : 0);
        Exact<double>((x, d) => PositiveMaskKernel.Apply<double>(x, d), v => v > 0 ? 1 : 0);
    }

    [Fact]
    public void SignKernel_EveryLength_EqualsScalarLoop()
    {
        Exact<float>((x, d) => SignKernel.Apply<float>(x, d), v => v > 0 ? 1 : v < 0 ? -1 : 0);
        Exact<double>((x, d) => SignKernel.Apply<double>(x, d), v => v > 0 ? 1 : v < 0 ? -1 : 0);
    }

    [Fact]
    public void FiniteOrZeroKernel_EveryLength_EqualsScalarLoop()
    {
        Exact<float>((x, d) => FiniteOrZeroKernel.Apply<float>(x, d), v => float.IsFinite(v) ? v : 0);
        Exact<double>((x, d) => FiniteOrZeroKernel.Apply<double>(x, d), v => double.IsFinite(v) ? v : 0);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.2)]
    [InlineData(-0.5)]
    [InlineData(0.0)]
    public void LeakyReluKernel_EveryLength_EqualsScalarLoop(double slope)
    {
        float s = (float)slope;
        Exact<float>((x, d) => LeakyReluKernel.Apply<float>(x, s, d), v => v > 0 ? v : v * s);
        Exact<double>((x, d) => LeakyReluKernel.Apply<double>(x, slope, d), v => v > 0 ? v : v * slope);
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(-0.5)]
    public void LeakyReluSlopeKernel_EveryLength_EqualsScalarLoop(double slope)
    {
        float s = (float)slope;
        Exact<float>((x, d) => LeakyReluSlopeKernel.Apply<float>(x, s, d), v => v > 0 ? 1 : s);
        Exact<double>((x, d) => LeakyReluSlopeKernel.Apply<double>(x, slope, d), v => v > 0 ? 1 : slope);
    }

    [Fact]
    public void SquareAndAbsKernels_EveryLength_EqualScalarLoop()
    {
        Exact<float>((x, d) => SquareKernel.Apply<float>(x, d), v => v * v);
        Exact<double>((x, d) => SquareKernel.Apply<double>(x, d), v => v * v);
        Exact<float>((x, d) => AbsKernel.Apply<float>(x, d), MathF.Abs);
        Exact<double>((x, d) => AbsKernel.Apply<double>(x, d), Math.Abs);
    }

    [Fact]
    public void TranscendentalKernels_EveryLength_MatchMathWithinRounding()
    {
        Close<float>((x, d) => ExpKernel.Apply<float>(x, d), MathF.Exp, 1e-6);
        Close<double>((x, d) => ExpKernel.Apply<double>(x, d), Math.Exp, 1e-14);
        Close<float>((x, d) => LogKernel.Apply<float>(x, d), MathF.Log, 1e-6);
        Close<double>((x, d) => LogKernel.Apply<double>(x, d), Math.Log, 1e-14);
        Close<float>((x, d) => SqrtKernel.Apply<float>(x, d), MathF.Sqrt, 1e-7);
        Close<double>((x, d) => SqrtKernel.Apply<double>(x, d), Math.Sqrt, 1e-15);
        Close<float>((x, d) => TanhKernel.Apply<float>(x, d), MathF.Tanh, 1e-6);
        Close<double>((x, d) => TanhKernel.Apply<double>(x, d), Math.Tanh, 1e-14);
        Close<float>((x, d) => SigmoidKernel.Apply<float>(x, d), v => 1 / (1 + MathF.Exp(-v)), 1e-6);
        Close<double>((x, d) => SigmoidKernel.Apply<double>(x, d), v => 1 / (1 + Math.Exp(-v)), 1e-14);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(3.0)]
    [InlineData(0.5)]
    [InlineData(-1.5)]
    [InlineData(0.0)]
    public void PowKernel_EveryLength_MatchesMathPowWithinRounding(double p)
    {
        Close<float>((x, d) => PowKernel.Apply<float>(x, (float)p, d), v => MathF.Pow(v, (float)p), 1e-6);
        Close<double>((x, d) => PowKernel.Apply<double>(x, p, d), v => Math.Pow(v, p), 1e-14);
    }

    [Fact]
    public void SigmoidKernel_HugeArguments_SaturatesWithoutNaN()
    {
        var d = new float[4];
        SigmoidKernel.Apply<float>([1000f, -1000f, float.MaxValue, -float.MaxValue], d);
        Assert.Equal([1f, 0f, 1f, 0f], d);
        var e = new double[2];
        SigmoidKernel.Apply<double>([1000.0, -1000.0], e);
        Assert.Equal([1.0, 0.0], e);
    }
}
