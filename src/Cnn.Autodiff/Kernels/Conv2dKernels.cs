using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// 2-D convolution (cross-correlation), its transpose and its weight gradient on NCHW buffers. Depthwise
/// convolutions with unit horizontal stride run direct SIMD loops (<see cref="DepthwiseKernels"/>), and so do
/// forward convolutions with unit strides and fewer than 8 output channels per group (<see cref="FewChannelKernels"/>); the
/// weight gradient of an unpadded 1x1 convolution with unit strides is a plain product per sample (<see cref="PointwiseKernels"/>), and
/// that of an ungrouped 3x3 convolution with unit strides and more than 16 output channels runs register tiles over the
/// padded input in place (<see cref="Conv3x3WeightGrad"/>); ungrouped forward convolutions with unit strides and dilation
/// and at least 8 output channels read the column matrix in place from padded copies of the samples (<see cref="DirectConv"/>,
/// where it applies); the others run as implicit GEMM (<see cref="ConvGemm"/>); the transposed convolution with unit strides is the
/// forward convolution of its input with the flipped kernel (when that is depthwise or has at least 8 output
/// channels per group), otherwise one <see cref="Gemm"/> per sample and group followed by col2im. Work runs in parallel when it is large enough; every output
/// element is computed in an order fixed by the sizes alone, so the results do not depend on the thread count.
/// </summary>
public static class Conv2dKernels
{
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
        if (DepthwiseKernels.Applies(g)) DepthwiseKernels.Forward(x, w, b, y, g);
        else if (FewChannelKernels.Applies(g)) FewChannelKernels.Forward(x, w, b, y, g);
        else if (DirectConv.Applies<T>(g)) DirectConv.Forward(x, w, b, y, g);
        else ConvGemm.Forward(x, w, b, y, g);
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
        // NOTE: the flipped forward computes InChannels/Groups output rows per group; below one micro-kernel
        // height of them (e.g. the 3 channels of an image) most of each GEMM tile would be padding, so they run
        // the direct few-channel kernel, or without AVX-512 the product plus col2im below.
        if (FlippedGeometry(g) is Conv2dGeometry f && (g.InChannelsPerGroup >= 8 || DepthwiseKernels.Applies(f) || FewChannelKernels.Applies(f)))
        {
            Forward(z, Flip(w, g), b, y, f);
            return;
        }
        int kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, patch = g.PatchSize, plane = g.OutPlane;
        void Sample(int n)
        {
            var cols = ArrayPool<T>.Shared.Rent(patch * plane);
            try
            {
                var yn = y.AsSpan(n * g.InChannels * g.InPlane, g.InChannels * g.InPlane);
                var c = cols.AsSpan(0, patch * plane);
                for (int grp = 0; grp < g.Groups; grp++)
                {
                    ReadOnlySpan<T> zs = z.AsSpan((n * g.OutChannels + grp * kg) * plane, kg * plane);
                    ReadOnlySpan<T> wg = w.AsSpan(grp * kg * patch, kg * patch);
                    var ys = yn.Slice(grp * cg * g.InPlane, cg * g.InPlane);
                    Gemm.Multiply(wg, zs, c, patch, plane, kg, transA: true);
                    ys.Clear();
                    Col2Im(c, ys, g);
                }
                if (b is not null) AddBias(b, yn, g.InPlane);
            }
            finally
            {
                ArrayPool<T>.Shared.Return(cols);
            }
        }
        Parallelism.For(0, g.Batch, Sample, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
    }

    /// <summary>
    /// With unit strides the transposed convolution is a forward convolution of z [Batch, OutChannels, OutH, OutW]
    /// to [Batch, InChannels, InH, InW] with the kernel flipped in both axes and its channel axes swapped
    /// (<see cref="Flip{T}"/>), padded by (kernel - 1) * dilation - pad: this returns that geometry, or null when
    /// a stride is not 1 or the padding exceeds the dilated kernel's reach (no such forward convolution).
    /// </summary>
    private static Conv2dGeometry? FlippedGeometry(Conv2dGeometry g)
    {
        int pt = (g.KernelH - 1) * g.DilationH - g.PadTop, pl = (g.KernelW - 1) * g.DilationW - g.PadLeft;
        if (g.StrideH != 1 || g.StrideW != 1 || pt < 0 || pl < 0) return null;
        return new Conv2dGeometry(g.Batch, g.OutChannels, g.OutH, g.OutW, g.InChannels, g.KernelH, g.KernelW, g.InH, g.InW,
            1, 1, pt, pl, g.DilationH, g.DilationW, g.Groups);
    }

    // wf[G*Cg + c, k, a, e] = w[G*Kg + k, c, KernelH-1-a, KernelW-1-e]: the kernel of the flipped geometry.
    private static T[] Flip<T>(T[] w, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, kh = g.KernelH, kw = g.KernelW, taps = kh * kw;
        var wf = new T[w.Length];
        for (int grp = 0; grp < g.Groups; grp++)
            for (int k = 0; k < kg; k++)
                for (int c = 0; c < cg; c++)
                {
                    int from = ((grp * kg + k) * cg + c) * taps, to = ((grp * cg + c) * kg + k) * taps;
                    for (int t = 0; t < taps; t++) wf[to + t] = w[from + taps - 1 - t];
                }
        return wf;
    }

    /// <summary>
    /// The weight gradient, the adjoint of <see cref="Forward{T}"/> in w:
    /// gw[k, c, a, e] = sum_{n, i, j} gy[n, k, i, j] x[n, G*Cg + c, i*sh - pt + a*dh, j*sw - pl + e*dw].
    /// </summary>
    /// <param name="x">[Batch, InChannels, InH, InW]</param>
    /// <param name="gy">[Batch, OutChannels, OutH, OutW]</param>
    /// <param name="gw">[OutChannels, InChannels/Groups, KernelH, KernelW], overwritten.</param>
    /// <remarks>The batch may be cut into contiguous chunks fixed by the sizes; each chunk sums its samples in
    /// order and the chunk partials are added in chunk order.</remarks>
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (DepthwiseKernels.Applies(g)) DepthwiseKernels.WeightGrad(x, gy, gw, g);
        else if (PointwiseKernels.Applies(g)) PointwiseKernels.WeightGrad(x, gy, gw, g);
        else if (FewChannelKernels.WeightGradApplies(g)) FewChannelKernels.WeightGrad(x, gy, gw, g);
        else if (Conv3x3WeightGrad.Applies(g)) Conv3x3WeightGrad.Run(x, gy, gw, g);
        else ConvGemm.WeightGrad(x, gy, gw, g);
    }

    /// <summary>
    /// Folds cols [Cg*KernelH*KernelW, OutH*OutW] back onto x [Cg, InH, InW], adding each entry
    /// cols[(c*KernelH + a)*KernelW + e, i*OutW + j] to x[c, i*sh - pt + a*dh, j*sw - pl + e*dw]
    /// (entries that fall in the padding are dropped).
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
        var y = Buffers.Uninitialized<T>(g.Batch * g.OutChannels * g.OutPlane);
        Forward(x.Array<T>(), w.Array<T>(), b?.Array<T>(), y, g);
        return Tensor.Own(y, [g.Batch, g.OutChannels, g.OutH, g.OutW]);
    }

    private static Tensor TransposeOf<T>(Tensor z, Tensor w, Tensor? b, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Uninitialized<T>(g.Batch * g.InChannels * g.InPlane);
        Transpose(z.Array<T>(), w.Array<T>(), b?.Array<T>(), y, g);
        return Tensor.Own(y, [g.Batch, g.InChannels, g.InH, g.InW]);
    }

    private static Tensor WeightGradOf<T>(Tensor x, Tensor gy, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gw = Buffers.Uninitialized<T>(g.OutChannels * g.PatchSize);
        WeightGrad(x.Array<T>(), gy.Array<T>(), gw, g);
        return Tensor.Own(gw, [g.OutChannels, g.InChannelsPerGroup, g.KernelH, g.KernelW]);
    }
}
