using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>Reductions over axes: the maximum, its tie-splitting adjoint weights, and the index of the maximum.</summary>
public static class ReduceKernels
{
    /// <summary>
    /// The maximum of <paramref name="src"/> (shape <paramref name="from"/>) over the axes where
    /// <paramref name="to"/> (same rank) has size 1 and <paramref name="from"/> does not. NaN propagates.
    /// Every reduced axis must be non-empty.
    /// </summary>
    public static T[] MaxTo<T>(ReadOnlySpan<T> src, Shape from, Shape to) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = Buffers.Zeroed<T>(to.Size);
        if (src.Length == 0) return dst;
        if (from.Rank == 0) { dst[0] = src[0]; return dst; }
        dst.AsSpan().Fill(T.NegativeInfinity);
        var st = ReducedStrides(from, to);
        int inner = from.Dims[^1];
        bool innerReduced = st[^1] == 0;
        var idx = new int[from.Rank - 1];
        for (int o = 0; o < src.Length; o += inner)
        {
            int d = MultiIndex.Offset(idx, st);
            var row = src.Slice(o, inner);
            if (innerReduced) dst[d] = T.Max(dst[d], TensorPrimitives.Max(row));
            else TensorPrimitives.Max(dst.AsSpan(d, inner), row, dst.AsSpan(d, inner));
            MultiIndex.Increment(idx, from);
        }
        return dst;
    }

    /// <summary>
    /// The weights w with w = [x == max] / (number of maxima in its group): the derivative of the
    /// maximum (shape <paramref name="to"/>, from <see cref="MaxTo{T}"/>) with respect to each element of
    /// <paramref name="src"/>. NOTE: the cotangent is split evenly among tied maxima, as torch.amax.
    /// </summary>
    public static T[] MaxWeights<T>(ReadOnlySpan<T> src, Shape from, ReadOnlySpan<T> max, Shape to) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var w = Buffers.Zeroed<T>(src.Length);
        if (src.Length == 0) return w;
        var group = GroupIndex(from, to);
        var count = new T[to.Size];
        for (int i = 0; i < w.Length; i++)
            if (src[i] == max[group[i]]) { w[i] = T.One; count[group[i]] += T.One; }
        for (int i = 0; i < w.Length; i++)
            if (w[i] != T.Zero) w[i] = T.One / count[group[i]];
        return w;
    }

    /// <summary>
    /// For each row-major position of <paramref name="shape"/> without <paramref name="axis"/>, the first
    /// index along <paramref name="axis"/> of the largest element (NaN counts as largest, as torch.argmax).
    /// </summary>
    public static int[] ArgMax<T>(ReadOnlySpan<T> src, Shape shape, int axis) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = shape.Dims[axis], outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape.Dims[i];
        for (int i = axis + 1; i < shape.Rank; i++) inner *= shape.Dims[i];
        var result = new int[outer * inner];
        for (int o = 0; o < outer; o++)
        {
            var block = src.Slice(o * n * inner, n * inner);
            for (int j = 0; j < inner; j++)
            {
                int best = 0;
                T bv = block[j];
                for (int k = 1; k < n && !T.IsNaN(bv); k++)
                {
                    T v = block[k * inner + j];
                    if (v > bv || T.IsNaN(v)) { best = k; bv = v; }
                }
                result[o * inner + j] = best;
            }
        }
        return result;
    }

    // Row-major strides of `to` laid over `from`: 0 on the reduced axes.
    private static int[] ReducedStrides(Shape from, Shape to)
    {
        var s = to.Strides();
        for (int i = 0; i < s.Length; i++) if (to.Dims[i] != from.Dims[i]) s[i] = 0;
        return s;
    }

    // The flat index in `to` of the group each element of `from` is reduced into.
    private static int[] GroupIndex(Shape from, Shape to)
    {
        var group = new int[from.Size];
        if (from.Rank == 0) return group;
        var st = ReducedStrides(from, to);
        int inner = from.Dims[^1], innerStride = st[^1];
        var idx = new int[from.Rank - 1];
        for (int o = 0; o < group.Length; o += inner)
        {
            int d = MultiIndex.Offset(idx, st);
            for (int j = 0; j < inner; j++) group[o + j] = d + j * innerStride;
            MultiIndex.Increment(idx, from);
        }
        return group;
    }
}
