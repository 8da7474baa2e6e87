using System.Numerics;

namespace Cnn.Autodiff.Kernels;

/// <summary>Row-major multi-index stepping shared by the strided kernels.</summary>
internal static class MultiIndex
{
    /// <summary>The flat offset of <paramref name="idx"/> (all but the last dimension) under <paramref name="strides"/>.</summary>
    public static int Offset(int[] idx, int[] strides)
    {
        int d = 0;
        for (int k = 0; k < idx.Length; k++) d += idx[k] * strides[k];
        return d;
    }

    /// <summary>Advances a row-major multi-index over all but the last dimension of <paramref name="shape"/>.</summary>
    public static void Increment(int[] idx, Shape shape)
    {
        for (int k = idx.Length - 1; k >= 0; k--)
        {
            if (++idx[k] < shape.Dims[k]) return;
            idx[k] = 0;
        }
    }
}

/// <summary>
/// An index map from a tensor of shape <see cref="From"/> to one of shape <see cref="To"/>: output element
/// i reads input element <c>Source[i]</c>, or a constant where <c>Source[i]</c> is -1. Padding in every
/// mode is such a map; its adjoint scatter-adds along the same map.
/// </summary>
public sealed class IndexMap
{
    /// <summary>A map from <paramref name="from"/> to <paramref name="to"/>; <paramref name="source"/> holds one entry per output element.</summary>
    public IndexMap(Shape from, Shape to, int[] source)
    {
        if (source.Length != to.Size)
            throw new ArgumentException($"An index map to {to} needs {to.Size} entries but got {source.Length}.");
        From = from;
        To = to;
        Source = source;
    }

    /// <summary>The input shape.</summary>
    public Shape From { get; }

    /// <summary>The output shape.</summary>
    public Shape To { get; }

    /// <summary>For each output element, the flat index of the input element it reads, or -1 for the constant. Never written after construction.</summary>
    public int[] Source { get; }

    /// <summary>
    /// The map whose output coordinate o along axis a reads input coordinate <c>axisSources[a][o]</c>
    /// (-1 on any axis means the constant).
    /// </summary>
    public static IndexMap FromAxes(Shape from, int[][] axisSources)
    {
        var to = Shape.Create(Array.ConvertAll(axisSources, a => a.Length));
        var source = new int[to.Size];
        if (source.Length == 0) return new IndexMap(from, to, source);
        if (to.Rank == 0) return new IndexMap(from, to, source); // a scalar maps to itself
        var strides = from.Strides();
        int inner = to.Dims[^1];
        var last = axisSources[^1];
        var idx = new int[to.Rank - 1];
        for (int o = 0; o < source.Length; o += inner)
        {
            int b = 0;
            bool constant = false;
            for (int k = 0; k < idx.Length; k++)
            {
                int s = axisSources[k][idx[k]];
                if (s < 0) { constant = true; break; }
                b += s * strides[k];
            }
            for (int j = 0; j < inner; j++) source[o + j] = constant || last[j] < 0 ? -1 : b + last[j];
            MultiIndex.Increment(idx, to);
        }
        return new IndexMap(from, to, source);
    }
}

/// <summary>Copies that move elements without arithmetic: permutation, strided axis blocks, index-map gather and scatter-add.</summary>
public static class ShapeKernels
{
    /// <summary>
    /// The transpose of <paramref name="src"/> (shape <paramref name="shape"/>): output axis k is input axis
    /// <c>dims[k]</c>, so the output shape is <c>shape[dims[0]], shape[dims[1]], ...</c>.
    /// </summary>
    public static T[] Permute<T>(ReadOnlySpan<T> src, Shape shape, int[] dims) where T : unmanaged
    {
        var dst = Buffers.Uninitialized<T>(src.Length);
        if (dst.Length == 0) return dst;
        if (shape.Rank == 0) { dst[0] = src[0]; return dst; }
        var inStrides = shape.Strides();
        var outDims = new int[dims.Length];
        var st = new int[dims.Length];
        for (int k = 0; k < dims.Length; k++) { outDims[k] = shape.Dims[dims[k]]; st[k] = inStrides[dims[k]]; }
        var outShape = Shape.Create(outDims);
        int inner = outDims[^1], innerStride = st[^1];
        var idx = new int[dims.Length - 1];
        for (int o = 0; o < dst.Length; o += inner)
        {
            int b = MultiIndex.Offset(idx, st);
            if (innerStride == 1) src.Slice(b, inner).CopyTo(dst.AsSpan(o, inner));
            else for (int j = 0; j < inner; j++) dst[o + j] = src[b + j * innerStride];
            MultiIndex.Increment(idx, outShape);
        }
        return dst;
    }

    /// <summary>
    /// Views both buffers as [outer, len, inner] and, for every outer index and k in 0..count-1, copies the
    /// inner block at axis position <c>srcStart + k*srcStep</c> of <paramref name="src"/> to position
    /// <c>dstStart + k*dstStep</c> of <paramref name="dst"/>. Slice, its scatter-back and Concat are all this copy.
    /// </summary>
    public static void AxisCopy<T>(ReadOnlySpan<T> src, int srcLen, int srcStart, int srcStep,
        Span<T> dst, int dstLen, int dstStart, int dstStep, int outer, int inner, int count) where T : unmanaged
    {
        if (count == 0 || inner == 0) return;
        bool contiguous = srcStep == 1 && dstStep == 1;
        for (int o = 0; o < outer; o++)
        {
            int s = (o * srcLen + srcStart) * inner, d = (o * dstLen + dstStart) * inner;
            if (contiguous) { src.Slice(s, count * inner).CopyTo(dst.Slice(d, count * inner)); continue; }
            for (int k = 0; k < count; k++)
                src.Slice(s + k * srcStep * inner, inner).CopyTo(dst.Slice(d + k * dstStep * inner, inner));
        }
    }

    /// <summary>dst[i] = src[map.Source[i]], or <paramref name="fill"/> where the source is -1.</summary>
    public static T[] Gather<T>(ReadOnlySpan<T> src, IndexMap map, T fill) where T : unmanaged
    {
        var source = map.Source;
        var dst = Buffers.Uninitialized<T>(source.Length);
        for (int i = 0; i < dst.Length; i++) dst[i] = source[i] >= 0 ? src[source[i]] : fill;
        return dst;
    }

    /// <summary>
    /// The adjoint of <see cref="Gather{T}"/> with fill 0: dst[j] = sum of src[i] over every i with
    /// <c>map.Source[i] == j</c>, accumulated in increasing i (deterministic).
    /// </summary>
    public static T[] ScatterAdd<T>(ReadOnlySpan<T> src, IndexMap map) where T : unmanaged, INumberBase<T>
    {
        var source = map.Source;
        var dst = Buffers.Zeroed<T>(map.From.Size);
        for (int i = 0; i < source.Length; i++)
            if (source[i] >= 0) dst[source[i]] += src[i];
        return dst;
    }
}
