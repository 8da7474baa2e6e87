using System.Collections.Immutable;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// The geometry of a strided 2-D pooling over <see cref="Planes"/> independent [H, W] planes (N*C of
/// an NCHW tensor): output (i, j) looks at input rows i*StrideH - PadH + m*DilationH (m &lt; KernelH)
/// and columns j*StrideW - PadW + n*DilationW (n &lt; KernelW); taps outside the plane are padding.
/// </summary>
public readonly record struct Pool2dGeometry(
    int Planes, int H, int W, int OutH, int OutW,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int DilationH, int DilationW)
{
    /// <summary>
    /// floor((size + 2 pad - dilation (kernel - 1) - 1) / stride) + 1, the number of window positions
    /// that fit in the padded axis (PyTorch without ceil_mode); 0 when not even one fits.
    /// </summary>
    public static int OutputSize(int size, int kernel, int stride, int pad, int dilation)
    {
        int span = size + 2 * pad - dilation * (kernel - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }
}

/// <summary>
/// One axis of a separable family of averaging windows: output position i averages input positions
/// Start[i] .. End[i]-1 (already clipped to the input), and contributes the factor Divisor[i] to the
/// divisor (the divisor of output (i, j) is rows.Divisor[i] * cols.Divisor[j]). Average pooling and
/// adaptive average pooling are both such families, so one kernel pair serves both.
/// </summary>
/// <param name="Size">Length of the input axis.</param>
public sealed record AxisWindows(int Size, ImmutableArray<int> Start, ImmutableArray<int> End, ImmutableArray<int> Divisor)
{
    /// <summary>Number of output positions on this axis.</summary>
    public int Count => Start.Length;

    /// <summary>
    /// Windows of <paramref name="kernel"/> taps every <paramref name="stride"/>, starting at -pad.
    /// The divisor is the kernel size when <paramref name="countIncludePad"/> (padding counts as zeros),
    /// otherwise the number of taps inside the input (PyTorch's count_include_pad).
    /// </summary>
    public static AxisWindows Strided(int size, int kernel, int stride, int pad, bool countIncludePad)
    {
        int n = Pool2dGeometry.OutputSize(size, kernel, stride, pad, 1);
        var start = new int[n];
        var end = new int[n];
        var divisor = new int[n];
        for (int i = 0; i < n; i++)
        {
            int s = i * stride - pad;
            start[i] = Math.Max(s, 0);
            end[i] = Math.Min(s + kernel, size);
            divisor[i] = countIncludePad ? kernel : end[i] - start[i];
        }
        return Of(size, start, end, divisor);
    }

    // Wraps the freshly filled arrays without copying; nothing writes them afterwards.
    private static AxisWindows Of(int size, int[] start, int[] end, int[] divisor) =>
        new(size, ImmutableCollectionsMarshal.AsImmutableArray(start), ImmutableCollectionsMarshal.AsImmutableArray(end), ImmutableCollectionsMarshal.AsImmutableArray(divisor));

    /// <summary>
    /// PyTorch's adaptive windows: output i averages floor(i*size/outSize) .. ceil((i+1)*size/outSize)-1.
    /// </summary>
    public static AxisWindows Adaptive(int size, int outSize)
    {
        var start = new int[outSize];
        var end = new int[outSize];
        var divisor = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            start[i] = (int)((long)i * size / outSize);
            end[i] = (int)(((long)(i + 1) * size + outSize - 1) / outSize);
            divisor[i] = end[i] - start[i];
        }
        return Of(size, start, end, divisor);
    }
}

/// <summary>
/// Pooling over NCHW planes: max pooling with arg-max indices, its scatter-add and gather by those
/// indices, and the window average with its transpose. Each plane is computed by exactly one thread,
/// so results do not depend on the thread count.
/// </summary>
public static class PoolKernels
{
    // Below this many multiply-adds a kernel runs on the calling thread.
    private const long ParallelWork = 1 << 15;

    private static void ForEachPlane(int planes, long workPerPlane, Action<int> body) =>
        Parallelism.For(0, planes, body, planes * workPerPlane >= ParallelWork);

    /// <summary>
    /// y[p, i, j] = max over the window of output (i, j) in plane p of x, and index[p, i, j] = the flat
    /// position (r * W + c) within the plane of the maximum; -1, with y = -inf, when every tap is padding.
    /// x is [Planes, H, W]; y and index are [Planes, OutH, OutW].
    /// </summary>
    /// <remarks>
    /// NOTE: padding is -inf, so it is never selected. Taps are scanned row by row, left to right, and
    /// only a strictly greater value replaces the current maximum: on ties the first maximum wins.
    /// A NaN tap is selected (NaN propagates), as in PyTorch.
    /// </remarks>
    public static void MaxPool<T>(T[] x, T[] y, int[] index, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW;
        CheckBuffers("MaxPool", x.Length, y.Length, g.Planes, inPlane, outPlane);
        CheckBuffers("MaxPool", x.Length, index.Length, g.Planes, inPlane, outPlane);
        if (g is { KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, PadH: 0, PadW: 0 })
        {
            ForEachPlane(g.Planes, 4L * outPlane, p => MaxPool2x2(x, y, index, p, g));
            return;
        }
        var (rowLo, rowHi) = ValidTaps(g.OutH, g.H, g.KernelH, g.StrideH, g.PadH, g.DilationH);
        var (colLo, colHi) = ValidTaps(g.OutW, g.W, g.KernelW, g.StrideW, g.PadW, g.DilationW);
        ForEachPlane(g.Planes, (long)outPlane * g.KernelH * g.KernelW, p =>
        {
            var xp = new ReadOnlySpan<T>(x, p * inPlane, inPlane);
            var yp = new Span<T>(y, p * outPlane, outPlane);
            var ip = new Span<int>(index, p * outPlane, outPlane);
            for (int i = 0; i < g.OutH; i++)
            {
                int r0 = i * g.StrideH - g.PadH;
                for (int j = 0; j < g.OutW; j++)
                {
                    int c0 = j * g.StrideW - g.PadW;
                    T best = T.NegativeInfinity;
                    int arg = -1;
                    for (int m = rowLo[i]; m < rowHi[i]; m++)
                    {
                        int rowBase = (r0 + m * g.DilationH) * g.W;
                        for (int n = colLo[j]; n < colHi[j]; n++)
                        {
                            int k = rowBase + c0 + n * g.DilationW;
                            T v = xp[k];
                            if (arg < 0 || v > best || T.IsNaN(v))
                            {
                                best = v;
                                arg = k;
                            }
                        }
                    }
                    yp[i * g.OutW + j] = best;
                    ip[i * g.OutW + j] = arg;
                }
            }
        });
    }

    // MaxPool of plane p for 2x2 windows with stride 2 and no padding (every tap is inside the plane): taps
    // (0, 0), (0, d), (d, 0), (d, d) in that order. Vectorised for float with AVX-512 and dilation 1.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MaxPool2x2<T>(T[] x, T[] y, int[] index, int p, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = g.W, ow = g.OutW, dh = g.DilationH, dw = g.DilationW, inPlane = g.H * w, outPlane = g.OutH * ow;
        fixed (T* px = &x[p * inPlane], py = &y[p * outPlane])
        fixed (int* pi = &index[p * outPlane])
        {
            for (int i = 0; i < g.OutH; i++)
            {
                T* r0 = px + 2 * i * w, r1 = r0 + dh * w, yr = py + i * ow;
                int* ir = pi + i * ow;
                int j = typeof(T) == typeof(float) && Avx512F.IsSupported && dh == 1 && dw == 1
                    ? MaxPool2x2Row((float*)r0, (float*)r1, (float*)yr, ir, ow, 2 * i * w, w)
                    : 0;
                for (; j < ow; j++)
                {
                    int c = 2 * j, at = 2 * i * w + c, arg = at;
                    T best = r0[c];
                    Take(r0[c + dw], at + dw, ref best, ref arg);
                    Take(r1[c], at + dh * w, ref best, ref arg);
                    Take(r1[c + dw], at + dh * w + dw, ref best, ref arg);
                    yr[j] = best;
                    ir[j] = arg;
                }
            }
        }
    }

    // The first-maximum rule of MaxPool for one more tap: strictly greater, or NaN, replaces.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take<T>(T v, int at, ref T best, ref int arg) where T : IFloatingPointIeee754<T>
    {
        if (v > best || T.IsNaN(v))
        {
            best = v;
            arg = at;
        }
    }

    // All outputs of one row of 2x2 / stride 2 max pooling from input rows r0, r1, 16 then 8 at a time and the rest
    // through a copy; returns ow.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe int MaxPool2x2Row(float* r0, float* r1, float* y, int* index, int ow, int rowBase, int w)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        Vector512<int> o1 = Vector512.Create(1), o2 = Vector512.Create(w), o3 = Vector512.Create(w + 1);
        int j = 0;
        for (; j + 16 <= ow; j += 16)
        {
            Vector512<float> a0 = Vector512.Load(r0 + 2 * j), a1 = Vector512.Load(r0 + 2 * j + 16);
            Vector512<float> b0 = Vector512.Load(r1 + 2 * j), b1 = Vector512.Load(r1 + 2 * j + 16);
            var best = Avx512F.PermuteVar16x32x2(a0, even, a1);
            var arg = Vector512<int>.Zero;
            Step(Avx512F.PermuteVar16x32x2(a0, odd, a1), o1, ref best, ref arg);
            Step(Avx512F.PermuteVar16x32x2(b0, even, b1), o2, ref best, ref arg);
            Step(Avx512F.PermuteVar16x32x2(b0, odd, b1), o3, ref best, ref arg);
            best.Store(y + j);
            (Vector512.Create(rowBase + 2 * j) + even + arg).Store(index + j);
        }
        if (j + 8 <= ow)
        {
            Pool8(Vector512.Load(r0 + 2 * j), Vector512.Load(r1 + 2 * j), y + j, index + j, rowBase + 2 * j, w);
            j += 8;
        }
        if (j < ow)
        {
            // The last 1 to 7 outputs: their 2 to 14 input columns copied into whole vectors, the results copied out.
            int rest = ow - j;
            float* rows = stackalloc float[32], outs = stackalloc float[8];
            int* args = stackalloc int[8];
            for (int t = 0; t < 2 * rest; t++) (rows[t], rows[16 + t]) = (r0[2 * j + t], r1[2 * j + t]);
            Pool8(Vector512.Load(rows), Vector512.Load(rows + 16), outs, args, rowBase + 2 * j, w);
            for (int t = 0; t < rest; t++) (y[j + t], index[j + t]) = (outs[t], args[t]);
            j = ow;
        }
        return j;
    }

    // 8 outputs of 2x2 / stride 2 max pooling from 16 floats of each input row: the even and odd lanes of one
    // vector per row (the upper 8 results are unused); indices from `at`, the flat position of the first tap.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Pool8(Vector512<float> a, Vector512<float> b, float* y, int* index, int at, int w)
    {
        var even = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
        var odd = even + Vector512<int>.One;
        var best = Avx512F.PermuteVar16x32(a, even);
        var arg = Vector512<int>.Zero;
        Step(Avx512F.PermuteVar16x32(a, odd), Vector512.Create(1), ref best, ref arg);
        Step(Avx512F.PermuteVar16x32(b, even), Vector512.Create(w), ref best, ref arg);
        Step(Avx512F.PermuteVar16x32(b, odd), Vector512.Create(w + 1), ref best, ref arg);
        best.GetLower().Store(y);
        (Vector512.Create(at) + even + arg).GetLower().Store(index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector512<float> v, Vector512<int> offset, ref Vector512<float> best, ref Vector512<int> arg)
    {
        var take = Vector512.GreaterThan(v, best) | ~Vector512.Equals(v, v);
        best = Vector512.ConditionalSelect(take, v, best);
        arg = Vector512.ConditionalSelect(take.AsInt32(), offset, arg);
    }

    // For each output position on one axis, the range [lo, hi) of tap numbers that fall inside the input.
    private static (int[] Lo, int[] Hi) ValidTaps(int outSize, int size, int kernel, int stride, int pad, int dilation)
    {
        var lo = new int[outSize];
        var hi = new int[outSize];
        for (int i = 0; i < outSize; i++)
        {
            int s = i * stride - pad;
            lo[i] = s >= 0 ? 0 : (-s + dilation - 1) / dilation;
            hi[i] = s >= size ? 0 : Math.Min(kernel, (size - s + dilation - 1) / dilation);
            if (hi[i] < lo[i]) hi[i] = lo[i];
        }
        return (lo, hi);
    }

    /// <summary>
    /// gx[p, index[p, o]] += g[p, o] for every output o of every plane p (skipping index -1), into a
    /// zeroed gx of [Planes, inPlane]: the transpose of <see cref="Gather{T}"/>. Overlapping windows
    /// that chose the same position accumulate.
    /// </summary>
    public static void ScatterAdd<T>(T[] g, int[] index, T[] gx, int planes, int inPlane, int outPlane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBuffers("ScatterAdd", gx.Length, g.Length, planes, inPlane, outPlane);
        CheckBuffers("ScatterAdd", gx.Length, index.Length, planes, inPlane, outPlane);
        Array.Clear(gx, 0, planes * inPlane);
        ForEachPlane(planes, outPlane, p =>
        {
            var gp = new ReadOnlySpan<T>(g, p * outPlane, outPlane);
            var ip = new ReadOnlySpan<int>(index, p * outPlane, outPlane);
            var dp = new Span<T>(gx, p * inPlane, inPlane);
            for (int o = 0; o < gp.Length; o++)
                if (ip[o] >= 0) dp[ip[o]] += gp[o];
        });
    }

    /// <summary>
    /// y[p, o] = x[p, index[p, o]] (0 where index is -1), with x [Planes, inPlane] and y [Planes, outPlane]:
    /// the transpose of <see cref="ScatterAdd{T}"/>.
    /// </summary>
    public static void Gather<T>(T[] x, int[] index, T[] y, int planes, int inPlane, int outPlane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBuffers("Gather", x.Length, y.Length, planes, inPlane, outPlane);
        CheckBuffers("Gather", x.Length, index.Length, planes, inPlane, outPlane);
        ForEachPlane(planes, outPlane, p =>
        {
            var xp = new ReadOnlySpan<T>(x, p * inPlane, inPlane);
            var ip = new ReadOnlySpan<int>(index, p * outPlane, outPlane);
            var yp = new Span<T>(y, p * outPlane, outPlane);
            for (int o = 0; o < yp.Length; o++)
                yp[o] = ip[o] >= 0 ? xp[ip[o]] : T.Zero;
        });
    }

    // Throws unless the input-side buffer holds planes * inPlane and the output-side one planes * outPlane elements.
    private static void CheckBuffers(string kernel, int inLength, int outLength, int planes, int inPlane, int outPlane)
    {
        if (inLength < planes * inPlane || outLength < planes * outPlane)
            throw new ArgumentException($"{kernel} over {planes} planes of {inPlane} -> {outPlane} elements got buffers of {inLength} and {outLength} elements.");
    }

    /// <summary>
    /// y[p, i, j] = (sum of x[p, r, c] over rows.Start[i] &lt;= r &lt; rows.End[i], cols.Start[j] &lt;= c &lt; cols.End[j])
    /// / (rows.Divisor[i] * cols.Divisor[j]), with x [Planes, rows.Size, cols.Size] and y [Planes, rows.Count, cols.Count].
    /// </summary>
    public static void WindowAverage<T>(T[] x, T[] y, int planes, AxisWindows rows, AxisWindows cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = cols.Size, inPlane = rows.Size * w, outPlane = rows.Count * cols.Count;
        CheckBuffers("WindowAverage", x.Length, y.Length, planes, inPlane, outPlane);
        ForEachPlane(planes, inPlane + outPlane, p =>
        {
            var xp = new ReadOnlySpan<T>(x, p * inPlane, inPlane);
            var yp = new Span<T>(y, p * outPlane, outPlane);
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < cols.Count; j++)
                {
                    int c0 = cols.Start[j], len = cols.End[j] - c0;
                    T s = T.Zero;
                    for (int r = rows.Start[i]; r < rows.End[i]; r++)
                        s += TensorPrimitives.Sum(xp.Slice(r * w + c0, len));
                    yp[i * cols.Count + j] = s / T.CreateChecked(rows.Divisor[i] * cols.Divisor[j]);
                }
        });
    }

    /// <summary>
    /// The transpose of <see cref="WindowAverage{T}"/>: every input position of the window of output
    /// (i, j) receives g[p, i, j] / (rows.Divisor[i] * cols.Divisor[j]), accumulated where windows overlap.
    /// g is [Planes, rows.Count, cols.Count]; gx is [Planes, rows.Size, cols.Size].
    /// </summary>
    public static void WindowAverageTranspose<T>(T[] g, T[] gx, int planes, AxisWindows rows, AxisWindows cols) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int w = cols.Size, inPlane = rows.Size * w, outPlane = rows.Count * cols.Count;
        CheckBuffers("WindowAverageTranspose", gx.Length, g.Length, planes, inPlane, outPlane);
        Array.Clear(gx, 0, planes * inPlane);
        ForEachPlane(planes, inPlane + outPlane, p =>
        {
            var gp = new ReadOnlySpan<T>(g, p * outPlane, outPlane);
            var dp = new Span<T>(gx, p * inPlane, inPlane);
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < cols.Count; j++)
                {
                    int c0 = cols.Start[j], len = cols.End[j] - c0;
                    T v = gp[i * cols.Count + j] / T.CreateChecked(rows.Divisor[i] * cols.Divisor[j]);
                    for (int r = rows.Start[i]; r < rows.End[i]; r++)
                    {
                        var row = dp.Slice(r * w + c0, len);
                        TensorPrimitives.Add(row, v, row);
                    }
                }
        });
    }
}
