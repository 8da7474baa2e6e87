using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation), its transpose and its weight gradient on NCHW buffers, by
/// im2col / col2im and one <see cref="Gemm"/> per sample and group. Samples run in parallel when the
/// work is large enough; every output element is computed in an order fixed by the sizes alone, so the
/// results do not depend on the thread count.
/// </summary>
public static class Conv2dKernels
{
    // Below this many multiply-adds in total the batch runs on one thread.
    private const long ParallelMacs = 1 << 18;

    // The weight gradient sums per-chunk partials in chunk order; the chunking depends only on the batch size.
    private const int WeightGradChunks = 8;

    /// <summary>
    /// y[n, k, i, j] = b[k] + sum_{c, a, e} x[n, G*Cg + c, i*sh - pt + a*dh, j*sw - pl + e*dw] w[k, c, a, e],
    /// where G = k / Kg is the group of output channel k and out-of-range x reads are 0.
    /// </summary>
    /// <param name="x">[Batch, InChannels, InH, InW]</param>
    /// <param name="w">[OutChannels, InChannels/Groups, KernelH, KernelW]</param>
    /// <param name="b">[OutChannels], or null for no bias.</param>
    /// <param name="y">[Batch, OutChannels, OutH, OutW], overwritten.</param>
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, patch = g.PatchSize, plane = g.OutPlane;
        void Sample(int n)
        {
            T[]? cols = g.IsPointwise ? null : ArrayPool<T>.Shared.Rent(patch * plane);
            try
            {
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ReadOnlySpan<T> xs = x.AsSpan((n * g.InChannels + grp * cg) * g.InPlane, cg * g.InPlane);
                    ReadOnlySpan<T> a = cols is null ? xs : Im2Col(xs, cols, g);
                    Gemm.Multiply<T>(w.AsSpan(grp * kg * patch, kg * patch), a, y.AsSpan((n * g.OutChannels + grp * kg) * plane, kg * plane), kg, plane, patch);
                }
                if (b is not null) AddBias(b, y.AsSpan(n * g.OutChannels * plane, g.OutChannels * plane), plane);
            }
            finally
            {
                if (cols is not null) ArrayPool<T>.Shared.Return(cols);
            }
        }
        ForEachSample(g, Sample);
    }

    /// <summary>
    /// The transposed convolution, the adjoint of <see cref="Forward{T}"/> in x:
    /// y[n, G*Cg + c, p, q] = b[G*Cg + c] + sum over k in group G and (i, j, a, e) with i*sh - pt + a*dh = p and
    /// j*sw - pl + e*dw = q of z[n, k, i, j] w[k, c, a, e].
    /// </summary>
    /// <param name="z">[Batch, OutChannels, OutH, OutW]</param>
    /// <param name="w">[OutChannels, InChannels/Groups, KernelH, KernelW]</param>
    /// <param name="b">[InChannels], or null for no bias.</param>
    /// <param name="y">[Batch, InChannels, InH, InW], overwritten.</param>
    public static void Transpose<T>(T[] z, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, patch = g.PatchSize, plane = g.OutPlane;
        void Sample(int n)
        {
            T[]? cols = g.IsPointwise ? null : ArrayPool<T>.Shared.Rent(patch * plane);
            try
            {
                var yn = y.AsSpan(n * g.InChannels * g.InPlane, g.InChannels * g.InPlane);
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ReadOnlySpan<T> zs = z.AsSpan((n * g.OutChannels + grp * kg) * plane, kg * plane);
                    ReadOnlySpan<T> wg = w.AsSpan(grp * kg * patch, kg * patch);
                    var ys = yn.Slice(grp * cg * g.InPlane, cg * g.InPlane);
                    if (cols is null)
                        Gemm.Multiply(wg, zs, ys, patch, plane, kg, transA: true);
                    else
                    {
                        var c = cols.AsSpan(0, patch * plane);
                        Gemm.Multiply(wg, zs, c, patch, plane, kg, transA: true);
                        ys.Clear();
                        Col2Im(c, ys, g);
                    }
                }
                if (b is not null) AddBias(b, yn, g.InPlane);
            }
            finally
            {
                if (cols is not null) ArrayPool<T>.Shared.Return(cols);
            }
        }
        ForEachSample(g, Sample);
    }

    /// <summary>
    /// The weight gradient, the adjoint of <see cref="Forward{T}"/> in w:
    /// gw[k, c, a, e] = sum_{n, i, j} gy[n, k, i, j] x[n, G*Cg + c, i*sh - pt + a*dh, j*sw - pl + e*dw].
    /// </summary>
    /// <param name="x">[Batch, InChannels, InH, InW]</param>
    /// <param name="gy">[Batch, OutChannels, OutH, OutW]</param>
    /// <param name="gw">[OutChannels, InChannels/Groups, KernelH, KernelW], overwritten.</param>
    /// <remarks>The batch is cut into at most <c>WeightGradChunks</c> contiguous chunks fixed by the batch
    /// size; each chunk sums its samples in order and the chunk partials are added in chunk order.</remarks>
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, patch = g.PatchSize, plane = g.OutPlane;
        int size = g.OutChannels * patch;
        int chunks = Math.Max(1, Math.Min(g.Batch, WeightGradChunks));
        var partials = new T[chunks][];
        void Chunk(int ch)
        {
            var acc = ch == 0 ? gw : ArrayPool<T>.Shared.Rent(size);
            partials[ch] = acc;
            acc.AsSpan(0, size).Clear();
            T[]? cols = g.IsPointwise ? null : ArrayPool<T>.Shared.Rent(patch * plane);
            try
            {
                int end = (int)((long)(ch + 1) * g.Batch / chunks);
                for (int n = (int)((long)ch * g.Batch / chunks); n < end; n++)
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        ReadOnlySpan<T> xs = x.AsSpan((n * g.InChannels + grp * cg) * g.InPlane, cg * g.InPlane);
                        ReadOnlySpan<T> bmat = cols is null ? xs : Im2Col(xs, cols, g);
                        Gemm.Multiply(gy.AsSpan((n * g.OutChannels + grp * kg) * plane, kg * plane), bmat,
                            acc.AsSpan(grp * kg * patch, kg * patch), kg, patch, plane, transB: true, accumulate: true);
                    }
            }
            finally
            {
                if (cols is not null) ArrayPool<T>.Shared.Return(cols);
            }
        }
        if (chunks > 1 && g.MacsPerSample * g.Batch >= ParallelMacs) Parallel.For(0, chunks, Chunk);
        else for (int ch = 0; ch < chunks; ch++) Chunk(ch);
        var total = gw.AsSpan(0, size);
        for (int ch = 1; ch < chunks; ch++)
        {
            TensorPrimitives.Add(total, partials[ch].AsSpan(0, size), total);
            ArrayPool<T>.Shared.Return(partials[ch]);
        }
    }

    /// <summary>
    /// Unfolds one sample-group x [Cg, InH, InW] into cols [Cg*KernelH*KernelW, OutH*OutW]:
    /// cols[(c*KernelH + a)*KernelW + e, i*OutW + j] = x[c, i*sh - pt + a*dh, j*sw - pl + e*dw], 0 outside.
    /// Returns the filled part of <paramref name="cols"/>.
    /// </summary>
    public static ReadOnlySpan<T> Im2Col<T>(ReadOnlySpan<T> x, Span<T> cols, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.OutPlane, ow = g.OutW, sw = g.StrideW;
        var filled = cols[..(g.PatchSize * plane)];
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int a = 0; a < g.KernelH; a++)
                for (int e = 0; e < g.KernelW; e++)
                {
                    var dst = filled.Slice(((c * g.KernelH + a) * g.KernelW + e) * plane, plane);
                    int colOff = e * g.DilationW - g.PadLeft;
                    var (jLo, jHi) = ValidRange(colOff, sw, g.InW, ow);
                    for (int i = 0; i < g.OutH; i++)
                    {
                        var drow = dst.Slice(i * ow, ow);
                        int ih = i * g.StrideH - g.PadTop + a * g.DilationH;
                        if ((uint)ih >= (uint)g.InH) { drow.Clear(); continue; }
                        var xrow = x.Slice((c * g.InH + ih) * g.InW, g.InW);
                        drow[..jLo].Clear();
                        drow[jHi..].Clear();
                        if (jLo == jHi) continue;
                        if (sw == 1) xrow.Slice(jLo + colOff, jHi - jLo).CopyTo(drow[jLo..jHi]);
                        else for (int j = jLo; j < jHi; j++) drow[j] = xrow[j * sw + colOff];
                    }
                }
        return filled;
    }

    /// <summary>
    /// Folds cols [Cg*KernelH*KernelW, OutH*OutW] back onto x [Cg, InH, InW], adding each column entry to the
    /// input position <see cref="Im2Col{T}"/> read it from (entries that fall in the padding are dropped).
    /// </summary>
    public static void Col2Im<T>(ReadOnlySpan<T> cols, Span<T> x, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.OutPlane, ow = g.OutW, sw = g.StrideW;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int a = 0; a < g.KernelH; a++)
                for (int e = 0; e < g.KernelW; e++)
                {
                    var src = cols.Slice(((c * g.KernelH + a) * g.KernelW + e) * plane, plane);
                    int colOff = e * g.DilationW - g.PadLeft;
                    var (jLo, jHi) = ValidRange(colOff, sw, g.InW, ow);
                    if (jLo >= jHi) continue;
                    for (int i = 0; i < g.OutH; i++)
                    {
                        int ih = i * g.StrideH - g.PadTop + a * g.DilationH;
                        if ((uint)ih >= (uint)g.InH) continue;
                        var srow = src.Slice(i * ow, ow);
                        var xrow = x.Slice((c * g.InH + ih) * g.InW, g.InW);
                        if (sw == 1)
                        {
                            var xs = xrow.Slice(jLo + colOff, jHi - jLo);
                            TensorPrimitives.Add(xs, srow[jLo..jHi], xs);
                        }
                        else for (int j = jLo; j < jHi; j++) xrow[j * sw + colOff] += srow[j];
                    }
                }
    }

    // The output columns j in [lo, hi) whose input column j*stride + offset lies in [0, inSize).
    private static (int Lo, int Hi) ValidRange(int offset, int stride, int inSize, int outSize)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = inSize - offset <= 0 ? 0 : (inSize - offset + stride - 1) / stride;
        hi = Math.Min(hi, outSize);
        return (Math.Min(lo, hi), hi);
    }

    private static void AddBias<T>(T[] b, Span<T> y, int plane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int k = 0; k < b.Length; k++)
        {
            var p = y.Slice(k * plane, plane);
            TensorPrimitives.Add(p, b[k], p);
        }
    }

    private static void ForEachSample(Conv2dGeometry g, Action<int> sample)
    {
        if (g.Batch > 1 && g.MacsPerSample * g.Batch >= ParallelMacs) Parallel.For(0, g.Batch, sample);
        else for (int n = 0; n < g.Batch; n++) sample(n);
    }

    /// <summary>The convolution of tensors x [N, C, H, W] and w [K, C/G, kh, kw] (plus b [K]) to [N, K, OutH, OutW].</summary>
    public static Tensor Forward(Tensor x, Tensor w, Tensor? b, Conv2dGeometry g) =>
        x.DType == DType.Float32 ? ForwardOf<float>(x, w, b, g) : ForwardOf<double>(x, w, b, g);

    /// <summary>The transposed convolution of z [N, K, OutH, OutW] with w [K, C/G, kh, kw] (plus b [C]) to [N, C, InH, InW].</summary>
    public static Tensor Transpose(Tensor z, Tensor w, Tensor? b, Conv2dGeometry g) =>
        z.DType == DType.Float32 ? TransposeOf<float>(z, w, b, g) : TransposeOf<double>(z, w, b, g);

    /// <summary>The weight gradient from x [N, C, InH, InW] and gy [N, K, OutH, OutW] to [K, C/G, kh, kw].</summary>
    public static Tensor WeightGrad(Tensor x, Tensor gy, Conv2dGeometry g) =>
        x.DType == DType.Float32 ? WeightGradOf<float>(x, gy, g) : WeightGradOf<double>(x, gy, g);

    private static Tensor ForwardOf<T>(Tensor x, Tensor w, Tensor? b, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.Batch * g.OutChannels * g.OutPlane];
        Forward(x.Array<T>(), w.Array<T>(), b?.Array<T>(), y, g);
        return Tensor.Own(y, [g.Batch, g.OutChannels, g.OutH, g.OutW]);
    }

    private static Tensor TransposeOf<T>(Tensor z, Tensor w, Tensor? b, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = new T[g.Batch * g.InChannels * g.InPlane];
        Transpose(z.Array<T>(), w.Array<T>(), b?.Array<T>(), y, g);
        return Tensor.Own(y, [g.Batch, g.InChannels, g.InH, g.InW]);
    }

    private static Tensor WeightGradOf<T>(Tensor x, Tensor gy, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gw = new T[g.OutChannels * g.PatchSize];
        WeightGrad(x.Array<T>(), gy.Array<T>(), gw, g);
        return Tensor.Own(gw, [g.OutChannels, g.InChannelsPerGroup, g.KernelH, g.KernelW]);
    }
}
