using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Cnn.Autodiff.Kernels.Simd;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Direct SIMD depthwise convolution (one input and one output channel per group) with unit horizontal
/// stride: each output row is a sum over the kernel taps of shifted input rows times one weight, computed a
/// vector of outputs at a time from a zero-padded copy of the plane, or, for width-keeping 3x3 kernels with
/// AVX-512, straight from the input (<see cref="DepthwiseRows"/>). Its transpose with unit strides is a
/// depthwise forward convolution with the flipped kernel (see <see cref="Conv2dKernels.Transpose{T}(T[], T[], T[], T[], Conv2dGeometry)"/>).
/// </summary>
internal static unsafe class DepthwiseKernels
{
    // The weight gradient sums per-chunk partials in chunk order; the chunking depends only on the batch size.
    private const int WeightGradChunks = 8;

    // The forward pass runs contiguous ranges of planes, at most this many, so each range reuses one padded buffer.
    private const int PlaneItems = 64;

    /// <summary>Whether <paramref name="g"/> is depthwise with unit horizontal stride, the case these kernels serve.</summary>
    public static bool Applies(Conv2dGeometry g) => g.InChannelsPerGroup == 1 && g.OutChannelsPerGroup == 1 && g.StrideW == 1;

    /// <summary>
    /// y[n, c, i, j] = b[c] + sum_{a, e} x[n, c, i*sh - pt + a*dh, j - pl + e*dw] w[c, 0, a, e], taps summed in
    /// row-major order after the bias; each plane is computed by one thread.
    /// </summary>
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ConvInput(g);
        int taps = g.KernelH * g.KernelW, planes = g.Batch * g.OutChannels;
        var offsets = TapOffsets(g, input);
        int items = Math.Min(planes, PlaneItems);
        bool rows = DepthwiseRows.Applies(g);
        void Planes(int item)
        {
            var padArray = rows ? ZeroRow<T>(g) : input.Rent<T>(g);
            try
            {
                fixed (T* px = x, pw = w, py = y, pad = padArray)
                fixed (nint* off = offsets)
                {
                    for (int p = (int)((long)item * planes / items), end = (int)((long)(item + 1) * planes / items); p < end; p++)
                    {
                        int c = p % g.OutChannels;
                        T* wc = pw + (nint)c * taps;
                        T bias = b is null ? T.Zero : b[c];
                        T* yp = py + (nint)p * g.OutPlane;
                        if (rows)
                        {
                            DepthwiseRows.Forward(px + (nint)p * g.InPlane, wc, bias, yp, pad, g);
                            continue;
                        }
                        T* src = input.Source(px + (nint)p * g.InPlane, pad, g);
                        if (taps == 9) Plane3x3(src, input.Row * g.StrideH, off, wc, bias, yp, g.OutH, g.OutW);
                        else
                            for (int i = 0; i < g.OutH; i++)
                                Row(src + i * g.StrideH * input.Row, off, wc, taps, bias, yp + (nint)i * g.OutW, g.OutW);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
            }
        }
        Parallelism.For(0, items, Planes, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
    }

    // Row for nine taps (3x3 kernels) over a whole plane: the weights stay in registers. src advances rowStep per output row.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Plane3x3<T>(T* src, nint rowStep, nint* off, T* w, T bias, T* dst, int rows, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5], o6 = off[6], o7 = off[7], o8 = off[8];
        Vector512<T> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]), b = Vector512.Create(bias);
        int vec = width - width % Vector512<T>.Count;
        for (int i = 0; i < rows; i++, src += rowStep, dst += width)
        {
            for (int j = 0; j < vec; j += Vector512<T>.Count)
            {
                T* s = src + j;
                var acc = Fma(w0, Vector512.Load(s + o0), b);
                acc = Fma(w1, Vector512.Load(s + o1), acc);
                acc = Fma(w2, Vector512.Load(s + o2), acc);
                acc = Fma(w3, Vector512.Load(s + o3), acc);
                acc = Fma(w4, Vector512.Load(s + o4), acc);
                acc = Fma(w5, Vector512.Load(s + o5), acc);
                acc = Fma(w6, Vector512.Load(s + o6), acc);
                acc = Fma(w7, Vector512.Load(s + o7), acc);
                acc = Fma(w8, Vector512.Load(s + o8), acc);
                acc.Store(dst + j);
            }
            if (vec < width) Row(src + vec, off, w, 9, bias, dst + vec, width - vec);
        }
    }

    // dst[j] = bias + sum_t w[t] src[off[t] + j] for j < width.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<T>(T* src, nint* off, T* w, int taps, T bias, T* dst, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        for (; j <= width - Vector512<T>.Count; j += Vector512<T>.Count)
        {
            var acc = Vector512.Create(bias);
            for (int t = 0; t < taps; t++) acc = Fma(Vector512.Create(w[t]), Vector512.Load(src + off[t] + j), acc);
            acc.Store(dst + j);
        }
        for (; j <= width - Vector256<T>.Count; j += Vector256<T>.Count)
        {
            var acc = Vector256.Create(bias);
            for (int t = 0; t < taps; t++) acc = Fma(Vector256.Create(w[t]), Vector256.Load(src + off[t] + j), acc);
            acc.Store(dst + j);
        }
        for (; j < width; j++)
        {
            T acc = bias;
            for (int t = 0; t < taps; t++) acc = T.FusedMultiplyAdd(w[t], src[off[t] + j], acc);
            dst[j] = acc;
        }
    }

    /// <summary>
    /// gw[c, 0, a, e] = sum_{n, i, j} gy[n, c, i, j] x[n, c, i*sh - pt + a*dh, j - pl + e*dw]. The batch is cut
    /// into at most <c>WeightGradChunks</c> contiguous chunks fixed by the batch size, each read in memory
    /// order (sample by sample, channel by channel) into per-chunk accumulators; the chunk partials are added
    /// in chunk order, so the result does not depend on the thread count.
    /// </summary>
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ConvInput(g);
        int taps = g.KernelH * g.KernelW, channels = g.OutChannels, size = channels * taps;
        int chunks = Math.Max(1, Math.Min(g.Batch, WeightGradChunks));
        var offsets = TapOffsets(g, input);
        var partials = new T[chunks][];
        bool rows = DepthwiseRows.Applies(g);
        void Chunk(int ch)
        {
            var padArray = rows ? ZeroRow<T>(g) : input.Rent<T>(g);
            var wide = new Vector512<T>[size];
            var narrow = new Vector256<T>[size];
            var scalar = new T[size];
            try
            {
                fixed (T* px = x, pg = gy, pad = padArray, ps = scalar)
                fixed (Vector512<T>* pw = wide)
                fixed (Vector256<T>* pn = narrow)
                fixed (nint* off = offsets)
                {
                    int end = (int)((long)(ch + 1) * g.Batch / chunks);
                    for (int n = (int)((long)ch * g.Batch / chunks); n < end; n++)
                        for (int c = 0; c < channels; c++)
                        {
                            nint p = (nint)n * channels + c;
                            int a = c * taps;
                            if (rows)
                            {
                                DepthwiseRows.WeightGrad(px + p * g.InPlane, pg + p * g.OutPlane, pad, pw + a, g);
                                continue;
                            }
                            T* src = input.Source(px + p * g.InPlane, pad, g);
                            if (taps == 9) Dots3x3(pg + p * g.OutPlane, src, input.Row * g.StrideH, off, g.OutH, g.OutW, pw + a, pn + a, ps + a);
                            else
                                for (int t = 0; t < taps; t++)
                                    for (int i = 0; i < g.OutH; i++)
                                        Dot(pg + p * g.OutPlane + (nint)i * g.OutW, src + i * g.StrideH * input.Row + off[t], g.OutW, pw + a + t, pn + a + t, ps + a + t);
                        }
                }
                var partial = new T[size];
                for (int i = 0; i < size; i++) partial[i] = Vector512.Sum(wide[i]) + Vector256.Sum(narrow[i]) + scalar[i];
                partials[ch] = partial;
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
            }
        }
        Parallelism.For(0, chunks, Chunk, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
        var total = gw.AsSpan(0, size);
        partials[0].CopyTo(total);
        for (int ch = 1; ch < chunks; ch++) TensorPrimitives.Add(total, partials[ch], total);
    }

    // Dot for nine taps over a whole plane of gy: the nine Vector512 accumulators stay in registers, each
    // gy vector is loaded once; the columns past the last whole Vector512 go through Dot.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dots3x3<T>(T* gy, T* src, nint rowStep, nint* off, int rows, int width, Vector512<T>* wide, Vector256<T>* narrow, T* scalar)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint o0 = off[0], o1 = off[1], o2 = off[2], o3 = off[3], o4 = off[4], o5 = off[5], o6 = off[6], o7 = off[7], o8 = off[8];
        Vector512<T> a0 = wide[0], a1 = wide[1], a2 = wide[2], a3 = wide[3], a4 = wide[4], a5 = wide[5], a6 = wide[6], a7 = wide[7], a8 = wide[8];
        int vec = width - width % Vector512<T>.Count;
        for (int i = 0; i < rows; i++, src += rowStep, gy += width)
        {
            for (int j = 0; j < vec; j += Vector512<T>.Count)
            {
                var v = Vector512.Load(gy + j);
                T* s = src + j;
                a0 = Fma(v, Vector512.Load(s + o0), a0);
                a1 = Fma(v, Vector512.Load(s + o1), a1);
                a2 = Fma(v, Vector512.Load(s + o2), a2);
                a3 = Fma(v, Vector512.Load(s + o3), a3);
                a4 = Fma(v, Vector512.Load(s + o4), a4);
                a5 = Fma(v, Vector512.Load(s + o5), a5);
                a6 = Fma(v, Vector512.Load(s + o6), a6);
                a7 = Fma(v, Vector512.Load(s + o7), a7);
                a8 = Fma(v, Vector512.Load(s + o8), a8);
            }
            // Fewer than a Vector512 of columns remain, so Dot leaves wide untouched; a0..a8 are stored below.
            if (vec < width)
                for (int t = 0; t < 9; t++) Dot(gy + vec, src + vec + off[t], width - vec, wide + t, narrow + t, scalar + t);
        }
        wide[0] = a0; wide[1] = a1; wide[2] = a2; wide[3] = a3; wide[4] = a4; wide[5] = a5; wide[6] = a6; wide[7] = a7; wide[8] = a8;
    }

    // Adds a[j] b[j] for j < width to the accumulators: whole Vector512s, then Vector256s, then scalars.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot<T>(T* a, T* b, int width, Vector512<T>* wide, Vector256<T>* narrow, T* scalar) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (width >= Vector512<T>.Count)
        {
            var acc = *wide;
            for (; j <= width - Vector512<T>.Count; j += Vector512<T>.Count) acc = Fma(Vector512.Load(a + j), Vector512.Load(b + j), acc);
            *wide = acc;
        }
        for (; j <= width - Vector256<T>.Count; j += Vector256<T>.Count) *narrow = Fma(Vector256.Load(a + j), Vector256.Load(b + j), *narrow);
        T s = *scalar;
        for (; j < width; j++) s = T.FusedMultiplyAdd(a[j], b[j], s);
        *scalar = s;
    }

    // A zeroed buffer from the shared pool for the row of zeros of DepthwiseRows (returned like a padded-copy buffer).
    private static T[] ZeroRow<T>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var zero = ArrayPool<T>.Shared.Rent(DepthwiseRows.ZeroRowLength<T>(g));
        zero.AsSpan(0, DepthwiseRows.ZeroRowLength<T>(g)).Clear();
        return zero;
    }

    // The offset of tap (a, e) from the read of output column 0 of a row: a*dh rows and e*dw columns.
    private static nint[] TapOffsets(Conv2dGeometry g, ConvInput input)
    {
        var off = new nint[g.KernelH * g.KernelW];
        for (int a = 0, t = 0; a < g.KernelH; a++)
            for (int e = 0; e < g.KernelW; e++) off[t++] = a * g.DilationH * input.Row + e * g.DilationW;
        return off;
    }
}
