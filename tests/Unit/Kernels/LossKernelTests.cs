using System.Numerics;
using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

public class LossKernelTests
{
    // Every length 0..70 covers all remainders of 16-wide float and 8-wide double vectors several times.
    private const int MaxLength = 70;

    private static double[] Random(int n, int seed, double scale = 3)
    {
        var rng = Rng.Seed(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = scale * rng.Normal(i);
        return v;
    }

    private static T[] As<T>(double[] v) where T : unmanaged, IFloatingPointIeee754<T> => Array.ConvertAll(v, T.CreateChecked);

    private static void Close<T>(double[] expected, T[] actual, double rtol, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double a = double.CreateChecked(actual[i]);
            Assert.True(Math.Abs(a - expected[i]) <= rtol * Math.Max(1, Math.Abs(expected[i])), $"{what}, element {i}: expected {expected[i]} but got {a}");
        }
    }

    // Straight from the formula: for each (o, i), y[o, k, i] = exp(x - m) / s or x - m - log s.
    private static double[] SlowSoftmax(double[] x, int outer, int n, int inner, bool log)
    {
        var y = new double[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double m = double.NegativeInfinity, s = 0;
                for (int k = 0; k < n; k++) m = Math.Max(m, x[(o * n + k) * inner + i]);
                for (int k = 0; k < n; k++) s += Math.Exp(x[(o * n + k) * inner + i] - m);
                for (int k = 0; k < n; k++)
                {
                    double v = x[(o * n + k) * inner + i];
                    y[(o * n + k) * inner + i] = log ? v - m - Math.Log(s) : Math.Exp(v - m) / s;
                }
            }
        return y;
    }

    private static void SoftmaxMatchesSlow<T>(double rtol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        foreach (int inner in new[] { 1, 2, 3, 17 })
            foreach (int outer in new[] { 1, 3 })
                for (int n = 0; n <= (inner == 1 ? MaxLength : 9); n++)
                {
                    var x = Random(outer * n * inner, n * 31 + inner);
                    foreach (bool log in new[] { false, true })
                    {
                        var y = new T[x.Length];
                        SoftmaxKernels.Softmax<T>(As<T>(x), y, outer, n, inner, log);
                        Close(SlowSoftmax(Array.ConvertAll(As<T>(x), double.CreateChecked), outer, n, inner, log), y, rtol, $"{typeof(T).Name} softmax outer {outer} n {n} inner {inner} log {log}");
                    }
                }
    }

    [Fact]
    public void Softmax_Float64_MatchesScalarLoop() => SoftmaxMatchesSlow<double>(1e-13);

    [Fact]
    public void Softmax_Float32_MatchesScalarLoop() => SoftmaxMatchesSlow<float>(2e-6);

    [Fact]
    public void Softmax_HugeInputs_StaysFinite()
    {
        var y = new float[3];
        SoftmaxKernels.Softmax<float>([1e30f, 0, -1e30f], y, 1, 3, 1, log: false);
        Assert.Equal([1f, 0f, 0f], y);
    }

    private static void UnaryMatchesSlow<K, T>(Func<double, double> f, double rtol, double scale) where K : IUnaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        // up to 300 also crosses the 256-element chunk of the softplus kernel
        foreach (int n in Enumerable.Range(0, MaxLength + 1).Concat([255, 256, 257, 300]))
        {
            var x = As<T>(Random(n, n, scale));
            var d = new T[n];
            K.Apply<T>(x, d);
            Close(Array.ConvertAll(x, v => f(double.CreateChecked(v))), d, rtol, $"{typeof(K).Name} {typeof(T).Name} length {n}");
        }
    }

    private static double Softplus(double x) => Math.Max(x, 0) + Log1p(Math.Exp(-Math.Abs(x)));

    // log(1 + u) for 0 <= u <= 1, by its series where 1 + u would round away the low digits of u
    private static double Log1p(double u) => u < 1e-4 ? u - u * u / 2 + u * u * u / 3 - u * u * u * u / 4 : Math.Log(1 + u);

    [Fact]
    public void Softplus_VeryNegativeInputs_KeepsRelativePrecision()
    {
        // softplus(x) = log1p(exp(x)) has relative size exp(x) there; every length covers every vector remainder
        foreach (int n in Enumerable.Range(0, MaxLength + 1))
        {
            var x = new double[n];
            for (int i = 0; i < n; i++) x[i] = -10 - i;
            var d = new double[n];
            SoftplusKernel.Apply<double>(x, d);
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(d[i] / Softplus(x[i]) - 1) < 1e-14, $"x = {x[i]}: {d[i]} vs {Softplus(x[i])}");
        }
    }

    [Fact]
    public void Softplus_MatchesScalarFormula()
    {
        UnaryMatchesSlow<SoftplusKernel, double>(Softplus, 1e-14, 10);
        UnaryMatchesSlow<SoftplusKernel, float>(Softplus, 1e-6, 10);
    }

    [Fact]
    public void Softplus_ExtremeInputs_NeitherOverflowsNorUnderflows()
    {
        var d = new double[4];
        SoftplusKernel.Apply<double>([1000, -1000, 0, -40], d);
        Assert.Equal(1000, d[0]);
        Assert.Equal(0, d[1]);
        Assert.Equal(Math.Log(2), d[2], 1e-15);
        Assert.Equal(Math.Exp(-40), d[3], 1e-30);
        var f = new float[2];
        SoftplusKernel.Apply<float>([-20f, 100f], f);
        Assert.Equal(Math.Exp(-20), f[0], 1e-15);
        Assert.Equal(100f, f[1]);
    }

    [Fact]
    public void Rsqrt_MatchesScalarFormula()
    {
        // inputs x^2 + 0.01 > 0
        Func<double, double> f = x => 1 / Math.Sqrt(x);
        foreach (int n in Enumerable.Range(0, MaxLength + 1))
        {
            var x = Array.ConvertAll(Random(n, n), v => v * v + 0.01);
            var d = new double[n];
            RsqrtKernel.Apply<double>(x, d);
            Close(Array.ConvertAll(x, v => f(v)), d, 1e-15, $"rsqrt f64 length {n}");
            var xf = As<float>(x);
            var df = new float[n];
            RsqrtKernel.Apply<float>(xf, df);
            Close(Array.ConvertAll(xf, v => f(v)), df, 1e-6, $"rsqrt f32 length {n}");
        }
    }

    [Fact]
    public void Pick_AndTranspose_MatchScalarLoops()
    {
        foreach (var (rows, cols) in new[] { (0, 3), (1, 1), (5, 7), (4, 2) })
        {
            var rng = Rng.Seed(rows * 10 + cols);
            var idx = new int[rows];
            for (int r = 0; r < rows; r++) idx[r] = rng.Int(r, cols);
            var x = Random(rows * cols, rows);
            var y = new double[rows];
            LossKernels.Pick<double>(x, idx, y, cols);
            for (int r = 0; r < rows; r++) Assert.Equal(x[r * cols + idx[r]], y[r]);

            var g = As<float>(Random(rows, cols));
            var s = new float[rows * cols];
            s.AsSpan().Fill(float.NaN); // must be overwritten in full
            LossKernels.PickTranspose<float>(g, idx, s, cols);
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++)
                    Assert.Equal(c == idx[r] ? g[r] : 0f, s[r * cols + c]);
        }
    }

    [Fact]
    public void DropoutMask_MatchesScalarFormula()
    {
        foreach (double p in new[] { 0.0, 0.3, 0.5, 1.0 })
        {
            var rng = Rng.Seed(42);
            var d = new double[101];
            var f = new float[101];
            LossKernels.DropoutMask<double>(rng, p, d);
            LossKernels.DropoutMask<float>(rng, p, f);
            for (int i = 0; i < d.Length; i++)
            {
                double expected = rng.Uniform(i) < 1 - p ? 1 / (1 - p) : 0;
                Assert.Equal(expected, d[i]);
                Assert.Equal((float)expected, f[i]);
            }
        }
    }
}
