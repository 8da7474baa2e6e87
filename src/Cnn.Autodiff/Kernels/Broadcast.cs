using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>NumPy broadcasting: the result shape of two shapes, expansion to it, and its adjoint (sum back).</summary>
public static class Broadcast
{
    /// <summary>
    /// The broadcast shape of <paramref name="a"/> and <paramref name="b"/>: shapes are aligned at the
    /// right and each pair of dimensions must be equal or contain a 1.
    /// </summary>
    public static Shape Shapes(string op, Shape a, Shape b)
    {
        if (a == b) return a;
        int r = Math.Max(a.Rank, b.Rank);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Rank) >= 0 ? a.Dims[i - (r - a.Rank)] : 1;
            int db = i - (r - b.Rank) >= 0 ? b.Dims[i - (r - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"{op} cannot broadcast {a} with {b}: dimension {i} is {da} against {db}; each pair of aligned dimensions must be equal or 1 (reshape one operand, e.g. a bias [C] to [1, C, 1, 1]).");
            d[i] = da == 1 ? db : da;
        }
        return d;
    }

    /// <summary>True when <paramref name="from"/> broadcasts to exactly <paramref name="to"/>.</summary>
    public static bool CanExpand(Shape from, Shape to)
    {
        if (from.Rank > to.Rank) return false;
        int off = to.Rank - from.Rank;
        for (int i = 0; i < from.Rank; i++)
            if (from.Dims[i] != 1 && from.Dims[i] != to.Dims[i + off]) return false;
        return true;
    }

    /// <summary>Strides of <paramref name="from"/> laid over <paramref name="to"/>: 0 on broadcast dimensions.</summary>
    private static int[] StridesOver(Shape from, Shape to)
    {
        var s = new int[to.Rank];
        var fs = from.Strides();
        int off = to.Rank - from.Rank;
        for (int i = 0; i < from.Rank; i++) s[i + off] = from.Dims[i] == 1 ? 0 : fs[i];
        return s;
    }

    /// <summary>Copies <paramref name="src"/> (shape <paramref name="from"/>) broadcast to shape <paramref name="to"/>.</summary>
    public static T[] Expand<T>(ReadOnlySpan<T> src, Shape from, Shape to) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = Buffers.Uninitialized<T>(to.Size);
        if (dst.Length == 0) return dst;
        if (to.Rank == 0) { dst[0] = src[0]; return dst; }
        var st = StridesOver(from, to);
        int inner = to.Dims[^1], innerStride = st[^1];
        var idx = new int[to.Rank - 1];
        for (int row = 0, o = 0; o < dst.Length; row++, o += inner)
        {
            int s = 0;
            for (int k = 0; k < idx.Length; k++) s += idx[k] * st[k];
            if (innerStride == 0) dst.AsSpan(o, inner).Fill(src[s]);
            else src.Slice(s, inner).CopyTo(dst.AsSpan(o, inner));
            Increment(idx, to);
        }
        return dst;
    }

    /// <summary>
    /// The adjoint of <see cref="Expand{T}"/>: sums <paramref name="src"/> (shape <paramref name="from"/>)
    /// over the dimensions that broadcasting added, giving shape <paramref name="to"/>.
    /// </summary>
    public static T[] SumTo<T>(ReadOnlySpan<T> src, Shape from, Shape to) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dst = Buffers.Zeroed<T>(to.Size);
        if (src.Length == 0) return dst;
        if (from.Rank == 0) { dst[0] = src[0]; return dst; }
        var st = StridesOver(to, from);
        int inner = from.Dims[^1], innerStride = st[^1];
        var idx = new int[from.Rank - 1];
        for (int o = 0; o < src.Length; o += inner)
        {
            int d = 0;
            for (int k = 0; k < idx.Length; k++) d += idx[k] * st[k];
            var row = src.Slice(o, inner);
            if (innerStride == 0) dst[d] += TensorPrimitives.Sum(row);
            else TensorPrimitives.Add(dst.AsSpan(d, inner), row, dst.AsSpan(d, inner));
            Increment(idx, from);
        }
        return dst;
    }

    // Advances a row-major multi-index over all but the last dimension of shape.
    private static void Increment(int[] idx, Shape shape)
    {
        for (int k = idx.Length - 1; k >= 0; k--)
        {
            if (++idx[k] < shape.Dims[k]) return;
            idx[k] = 0;
        }
    }
}
