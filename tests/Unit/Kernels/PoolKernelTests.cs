using System.Numerics;
using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

/// <summary>Each pooling kernel equals a slow nested loop written straight from its definition.</summary>
public class PoolKernelTests
{
    // Small odd and even sizes with every kernel 1..3, stride 1..3, padding 0..k/2, dilation 1..2 that gives an output.
    public static IEnumerable<Pool2dGeometry> Geometries()
    {
        foreach (int h in new[] { 1, 3, 4, 7 })
            foreach (int w in new[] { 1, 2, 5 })
                for (int k = 1; k <= 3; k++)
                    for (int s = 1; s <= 3; s++)
                        for (int p = 0; p <= k / 2; p++)
                            for (int d = 1; d <= 2; d++)
                            {
                                // vary the other axis's kernel so the two axes differ
                                int kw = 1 + (k + s) % 3, pw = Math.Min(p, kw / 2);
                                int oh = Pool2dGeometry.OutputSize(h, k, s, p, d), ow = Pool2dGeometry.OutputSize(w, kw, s, pw, d);
                                if (oh > 0 && ow > 0) yield return new Pool2dGeometry(3, h, w, oh, ow, k, kw, s, s, p, pw, d, d);
                            }
        // large enough to run the planes in parallel
        yield return new Pool2dGeometry(64, 33, 31, 31, 29, 3, 3, 1, 1, 0, 0, 1, 1);
        yield return new Pool2dGeometry(40, 35, 35, 18, 18, 3, 3, 2, 2, 1, 1, 1, 1);
    }

    private static T[] Values<T>(int n, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new Random(seed);
        var a = new T[n];
        // a coarse grid of values (even seeds) makes ties common, so the first-maximum rule is exercised;
        // odd seeds add a small jitter to most elements
        for (int i = 0; i < n; i++) a[i] = T.CreateChecked(r.Next(-4, 5) * 0.5 + (i % 7 == 0 ? 0 : r.NextDouble() * 0.01 * (seed % 2)));
        return a;
    }

    private static (T[] Y, int[] Index) SlowMaxPool<T>(T[] x, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.Planes * g.OutH * g.OutW];
        var index = new int[y.Length];
        for (int p = 0; p < g.Planes; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    T best = T.NegativeInfinity;
                    int arg = -1;
                    for (int m = 0; m < g.KernelH; m++)
                        for (int n = 0; n < g.KernelW; n++)
                        {
                            int r = i * g.StrideH - g.PadH + m * g.DilationH, c = j * g.StrideW - g.PadW + n * g.DilationW;
                            if (r < 0 || r >= g.H || c < 0 || c >= g.W) continue;
                            T v = x[p * g.H * g.W + r * g.W + c];
                            if (arg < 0 || v > best) { best = v; arg = r * g.W + c; }
                        }
                    int o = (p * g.OutH + i) * g.OutW + j;
                    y[o] = best;
                    index[o] = arg;
                }
        return (y, index);
    }

    private static void MaxPoolMatchesSlowLoop<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 0;
        foreach (var g in Geometries())
        {
            var x = Values<T>(g.Planes * g.H * g.W, seed++);
            var y = new T[g.Planes * g.OutH * g.OutW];
            var index = new int[y.Length];
            PoolKernels.MaxPool(x, y, index, g);
            var (ey, ei) = SlowMaxPool(x, g);
            Assert.True(ey.AsSpan().SequenceEqual(y), $"values differ for {g}");
            Assert.True(ei.AsSpan().SequenceEqual(index), $"indices differ for {g}");
        }
    }

    [Fact]
    public void MaxPool_Float32_EqualsSlowLoop() => MaxPoolMatchesSlowLoop<float>();

    [Fact]
    public void MaxPool_Float64_EqualsSlowLoop() => MaxPoolMatchesSlowLoop<double>();

    [Fact]
    public void MaxPool_NaNInWindow_IsSelected()
    {
        var g = new Pool2dGeometry(1, 1, 3, 1, 1, 1, 3, 1, 1, 0, 0, 1, 1);
        var y = new double[1];
        var index = new int[1];
        PoolKernels.MaxPool([1.0, double.NaN, 2.0], y, index, g);
        Assert.True(double.IsNaN(y[0]));
        Assert.Equal(1, index[0]);
    }

    // The 2x2 / stride 2 fast path (vectorised for float with AVX-512): planes wide enough for whole vectors
    // plus every tail length, odd heights and widths, dilation 1 and 2, coarse values (ties) and NaNs, against
    // the slow loop with the kernel's rule (first strict maximum in row-major tap order; a NaN tap replaces).
    private static void MaxPool2x2MatchesSlowLoop<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 500;
        foreach (int w in new[] { 4, 16, 30, 33, 34, 64, 65, 70, 95 })
            foreach (int h in new[] { 2, 5 })
                foreach (int d in new[] { 1, 2 })
                {
                    int oh = Pool2dGeometry.OutputSize(h, 2, 2, 0, d), ow = Pool2dGeometry.OutputSize(w, 2, 2, 0, d);
                    if (oh < 1 || ow < 1) continue;
                    var g = new Pool2dGeometry(3, h, w, oh, ow, 2, 2, 2, 2, 0, 0, d, d);
                    var x = Values<T>(g.Planes * h * w, seed++);
                    for (int i = 5; i < x.Length; i += 41) x[i] = T.NaN;
                    var y = new T[g.Planes * oh * ow];
                    var index = new int[y.Length];
                    PoolKernels.MaxPool(x, y, index, g);
                    for (int p = 0; p < g.Planes; p++)
                        for (int i = 0; i < oh; i++)
                            for (int j = 0; j < ow; j++)
                            {
                                int arg = -1;
                                foreach (var (a, e) in new[] { (0, 0), (0, d), (d, 0), (d, d) })
                                {
                                    int k = (2 * i + a) * w + 2 * j + e;
                                    T v = x[p * h * w + k];
                                    if (arg < 0 || v > x[p * h * w + arg] || T.IsNaN(v)) arg = k;
                                }
                                int o = (p * oh + i) * ow + j;
                                Assert.True(arg == index[o], $"index of output {o} for {g}: expected {arg}, got {index[o]}");
                                Assert.True(x[p * h * w + arg].Equals(y[o]), $"value of output {o} for {g}");
                            }
                }
    }

    [Fact]
    public void MaxPool2x2Stride2_Float32_EqualsSlowLoopWithNaNs() => MaxPool2x2MatchesSlowLoop<float>();

    [Fact]
    public void MaxPool2x2Stride2_Float64_EqualsSlowLoopWithNaNs() => MaxPool2x2MatchesSlowLoop<double>();

    private static void ScatterGatherMatchSlowLoops<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 100;
        foreach (var g in Geometries())
        {
            int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW;
            var x = Values<T>(g.Planes * inPlane, seed++);
            var index = new int[g.Planes * outPlane];
            PoolKernels.MaxPool(x, new T[index.Length], index, g);
            var gy = Values<T>(index.Length, seed++);

            var gx = new T[x.Length];
            gx.AsSpan().Fill(T.One); // the kernel must overwrite, not add to, what is there
            PoolKernels.ScatterAdd(gy, index, gx, g.Planes, inPlane, outPlane);
            var egx = new T[x.Length];
            for (int p = 0; p < g.Planes; p++)
                for (int o = 0; o < outPlane; o++)
                    if (index[p * outPlane + o] >= 0) egx[p * inPlane + index[p * outPlane + o]] += gy[p * outPlane + o];
            Assert.True(egx.AsSpan().SequenceEqual(gx), $"scatter differs for {g}");

            var y = new T[index.Length];
            PoolKernels.Gather(x, index, y, g.Planes, inPlane, outPlane);
            var ey = new T[index.Length];
            for (int p = 0; p < g.Planes; p++)
                for (int o = 0; o < outPlane; o++)
                    ey[p * outPlane + o] = index[p * outPlane + o] < 0 ? T.Zero : x[p * inPlane + index[p * outPlane + o]];
            Assert.True(ey.AsSpan().SequenceEqual(y), $"gather differs for {g}");
        }
    }

    [Fact]
    public void ScatterAddAndGather_Float32_EqualSlowLoops() => ScatterGatherMatchSlowLoops<float>();

    [Fact]
    public void ScatterAddAndGather_Float64_EqualSlowLoops() => ScatterGatherMatchSlowLoops<double>();

    // Average pooling straight from PyTorch's definition: sum over the k*k window (zeros outside), divided by
    // k*k, or by the number of in-input taps when padding is not counted.
    private static T[] SlowAvgPool<T>(T[] x, Pool2dGeometry g, bool countIncludePad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.Planes * g.OutH * g.OutW];
        for (int p = 0; p < g.Planes; p++)
            for (int i = 0; i < g.OutH; i++)
                for (int j = 0; j < g.OutW; j++)
                {
                    T sum = T.Zero;
                    int inside = 0;
                    for (int m = 0; m < g.KernelH; m++)
                        for (int n = 0; n < g.KernelW; n++)
                        {
                            int r = i * g.StrideH - g.PadH + m, c = j * g.StrideW - g.PadW + n;
                            if (r < 0 || r >= g.H || c < 0 || c >= g.W) continue;
                            sum += x[p * g.H * g.W + r * g.W + c];
                            inside++;
                        }
                    y[(p * g.OutH + i) * g.OutW + j] = sum / T.CreateChecked(countIncludePad ? g.KernelH * g.KernelW : inside);
                }
        return y;
    }

    // Adaptive average pooling from its definition: window floor(i*H/OH) .. ceil((i+1)*H/OH), in floating point.
    private static T[] SlowAdaptive<T>(T[] x, int planes, int h, int w, int oh, int ow) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[planes * oh * ow];
        for (int p = 0; p < planes; p++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                {
                    int r0 = (int)Math.Floor((double)i * h / oh), r1 = (int)Math.Ceiling((double)(i + 1) * h / oh);
                    int c0 = (int)Math.Floor((double)j * w / ow), c1 = (int)Math.Ceiling((double)(j + 1) * w / ow);
                    T sum = T.Zero;
                    for (int r = r0; r < r1; r++)
                        for (int c = c0; c < c1; c++)
                            sum += x[p * h * w + r * w + c];
                    y[(p * oh + i) * ow + j] = sum / T.CreateChecked((r1 - r0) * (c1 - c0));
                }
        return y;
    }

    // The transpose of a linear map A given as a function, column by column: (A^T g)[k] = <A e_k, g>.
    private static T[] SlowTranspose<T>(Func<T[], T[]> a, int inLength, T[] g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = new T[inLength];
        var e = new T[inLength];
        for (int k = 0; k < inLength; k++)
        {
            e[k] = T.One;
            var col = a(e);
            T dot = T.Zero;
            for (int o = 0; o < col.Length; o++) dot += col[o] * g[o];
            gx[k] = dot;
            e[k] = T.Zero;
        }
        return gx;
    }

    private static void AssertClose<T>(T[] expected, T[] actual, double tol, string what) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = double.CreateChecked(expected[i]), a = double.CreateChecked(actual[i]);
            Assert.True(Math.Abs(e - a) <= tol * Math.Max(1, Math.Abs(e)), $"{what}: element {i} is {a}, expected {e}");
        }
    }

    private static double Tol<T>() => typeof(T) == typeof(float) ? 1e-5 : 1e-12;

    private static void AvgPoolMatchesSlowLoops<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 200;
        foreach (var g in Geometries())
        {
            if (g.DilationH != 1) continue;
            foreach (bool cip in new[] { true, false })
            {
                var rows = AxisWindows.Strided(g.H, g.KernelH, g.StrideH, g.PadH, cip);
                var cols = AxisWindows.Strided(g.W, g.KernelW, g.StrideW, g.PadW, cip);
                Assert.Equal((g.OutH, g.OutW), (rows.Count, cols.Count));
                var x = Values<T>(g.Planes * g.H * g.W, seed++);
                var y = new T[g.Planes * g.OutH * g.OutW];
                PoolKernels.WindowAverage(x, y, g.Planes, rows, cols);
                AssertClose(SlowAvgPool(x, g, cip), y, Tol<T>(), $"avg pool {g} countIncludePad={cip}");
                if (g.Planes > 3) continue; // the column-by-column transpose is quadratic: small cases only
                var gy = Values<T>(y.Length, seed++);
                var gx = new T[x.Length];
                gx.AsSpan().Fill(T.One);
                PoolKernels.WindowAverageTranspose(gy, gx, g.Planes, rows, cols);
                AssertClose(SlowTranspose(v => SlowAvgPool(v, g, cip), x.Length, gy), gx, Tol<T>(), $"avg pool transpose {g} countIncludePad={cip}");
            }
        }
    }

    [Fact]
    public void WindowAverage_AvgPool_Float32_EqualsSlowLoops() => AvgPoolMatchesSlowLoops<float>();

    [Fact]
    public void WindowAverage_AvgPool_Float64_EqualsSlowLoops() => AvgPoolMatchesSlowLoops<double>();

    private static void AdaptiveMatchesSlowLoops<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        int seed = 300;
        foreach (int h in new[] { 1, 3, 5, 7, 10 })
            foreach (int w in new[] { 1, 2, 7 })
                foreach (int oh in new[] { 1, 2, 3, 4, 7 })
                    foreach (int ow in new[] { 1, 3, 5 })
                    {
                        const int planes = 2;
                        var rows = AxisWindows.Adaptive(h, oh);
                        var cols = AxisWindows.Adaptive(w, ow);
                        var x = Values<T>(planes * h * w, seed++);
                        var y = new T[planes * oh * ow];
                        PoolKernels.WindowAverage(x, y, planes, rows, cols);
                        AssertClose(SlowAdaptive(x, planes, h, w, oh, ow), y, Tol<T>(), $"adaptive [{h}, {w}] -> [{oh}, {ow}]");
                        var gy = Values<T>(y.Length, seed++);
                        var gx = new T[x.Length];
                        PoolKernels.WindowAverageTranspose(gy, gx, planes, rows, cols);
                        AssertClose(SlowTranspose(v => SlowAdaptive(v, planes, h, w, oh, ow), x.Length, gy), gx, Tol<T>(), $"adaptive transpose [{h}, {w}] -> [{oh}, {ow}]");
                    }
    }

    [Fact]
    public void WindowAverage_Adaptive_Float32_EqualsSlowLoops() => AdaptiveMatchesSlowLoops<float>();

    [Fact]
    public void WindowAverage_Adaptive_Float64_EqualsSlowLoops() => AdaptiveMatchesSlowLoops<double>();

    [Fact]
    public void OutputSize_KernelLargerThanPaddedInput_IsZero()
    {
        Assert.Equal(0, Pool2dGeometry.OutputSize(2, 3, 1, 0, 1));
        Assert.Equal(0, Pool2dGeometry.OutputSize(3, 2, 1, 0, 3));
        Assert.Equal(1, Pool2dGeometry.OutputSize(1, 3, 1, 1, 1));
    }
}
