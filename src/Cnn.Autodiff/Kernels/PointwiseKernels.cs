using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// The weight gradient of a pointwise convolution (1x1 kernel, unit strides, no padding, output plane = input
/// plane): per sample and group it is the plain product gw_G += gy_n,G [Kg, P] x_n,G [Cg, P]^T over the plane's
/// P positions, run by <see cref="Gemm"/> on the arrays in place, with no column matrix or repacked output gradient.
/// </summary>
internal static unsafe class PointwiseKernels
{
    // The batch is cut into at most this many chunks (fixed by the batch size); their partial sums are added in chunk order.
    private const int WeightGradChunks = 8;

    /// <summary>Whether <paramref name="g"/> is a pointwise convolution whose output positions are its input positions.</summary>
    public static bool Applies(Conv2dGeometry g) =>
        g.KernelH == 1 && g.KernelW == 1 && g.StrideH == 1 && g.StrideW == 1 && g.PadTop == 0 && g.PadLeft == 0
        && g.OutH == g.InH && g.OutW == g.InW;

    /// <summary>
    /// gw[G*Kg + k, c] = sum_{n, p} gy[n, G*Kg + k, p] x[n, G*Cg + c, p]. Each chunk of the batch sums its samples
    /// in order (each product over p in increasing order) into its own partial; the partials are added in chunk
    /// order, so the result does not depend on the thread count.
    /// </summary>
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int size = g.OutChannels * g.InChannelsPerGroup, chunks = Math.Max(1, Math.Min(g.Batch, WeightGradChunks));
        var partials = new T[chunks][];
        partials[0] = gw;
        try
        {
            for (int ch = 1; ch < chunks; ch++) partials[ch] = ArrayPool<T>.Shared.Rent(size);
            void Chunk(int ch)
            {
                int kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, plane = g.OutPlane;
                int n0 = (int)((long)ch * g.Batch / chunks), n1 = (int)((long)(ch + 1) * g.Batch / chunks);
                fixed (T* px = x, pg = gy, acc = partials[ch])
                {
                    if (n0 == n1) new Span<T>(acc, size).Clear();
                    for (int n = n0; n < n1; n++)
                        for (int grp = 0; grp < g.Groups; grp++)
                            Gemm.Strided(pg + ((nint)n * g.OutChannels + grp * kg) * plane, plane,
                                px + ((nint)n * g.InChannels + grp * cg) * plane, plane,
                                acc + (nint)grp * kg * cg, cg, kg, cg, plane, transA: false, transB: true, accumulate: n > n0, parallel: false);
                }
            }
            Parallelism.For(0, chunks, Chunk, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
            var total = gw.AsSpan(0, size);
            for (int ch = 1; ch < chunks; ch++) TensorPrimitives.Add(total, partials[ch].AsSpan(0, size), total);
        }
        finally
        {
            for (int ch = 1; ch < chunks; ch++)
                if (partials[ch] is not null) ArrayPool<T>.Shared.Return(partials[ch]);
        }
    }
}
