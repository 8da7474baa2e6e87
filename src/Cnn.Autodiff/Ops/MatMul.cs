using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The matrix product y = a b, as torch.matmul: [m, k] x [k, n] -> [m, n], and batched
    /// [..., m, k] x [..., k, n] -> [..., m, n] with NumPy broadcasting of the batch dimensions.
    /// </summary>
    /// <remarks>
    /// NOTE: 1-D operands follow torch.matmul: a vector a [k] is treated as [1, k] and b [k] as [k, 1],
    /// and the added dimension is removed from the result ([k] x [k] is the scalar dot product).
    /// </remarks>
    /// <param name="a">[..., m, k] or [k]</param>
    /// <param name="b">[..., k, n] or [k]</param>
    /// <returns>[..., m, n], without m when a is 1-D and without n when b is 1-D.</returns>
    public static Var MatMul(Var a, Var b)
    {
        if (a.Rank == 0 || b.Rank == 0)
            throw new ArgumentException($"MatMul needs operands of rank at least 1 but got {a.Shape} and {b.Shape}: use Multiply to scale by a scalar.");
        if (a.Rank > 1 && b.Rank > 1) return MatMul(a, b, false, false);
        int k = a.Shape[-1];
        int kb = b.Rank == 1 ? b.Shape[0] : b.Shape[-2];
        if (k != kb)
            throw new ArgumentException($"MatMul expects a [..., m, k] (or [k]) and b [..., k, n] (or [k]) with equal k but got {a.Shape} and {b.Shape}: {k} against {kb}.");
        var a2 = a.Rank == 1 ? Reshape(a, 1, k) : a;
        var b2 = b.Rank == 1 ? Reshape(b, k, 1) : b;
        var y = MatMul(a2, b2, false, false);
        var dims = new List<int>(y.Shape.Dims);
        if (b.Rank == 1) dims.RemoveAt(dims.Count - 1);
        if (a.Rank == 1) dims.RemoveAt(dims.Count - (b.Rank == 1 ? 1 : 2));
        return Reshape(y, dims.ToArray());
    }

    /// <summary>
    /// The matrix product y = op(a) op(b), where op transposes the last two axes when its flag is set:
    /// op(a) is [..., m, k] (a stored [..., k, m] when <paramref name="transposeA"/>), op(b) is [..., k, n]
    /// (b stored [..., n, k] when <paramref name="transposeB"/>); batch dimensions broadcast.
    /// The transposes are read in place, never copied.
    /// </summary>
    /// <param name="a">[..., m, k], or [..., k, m] when <paramref name="transposeA"/></param>
    /// <param name="b">[..., k, n], or [..., n, k] when <paramref name="transposeB"/></param>
    /// <returns>[..., m, n]</returns>
    public static Var MatMul(Var a, Var b, bool transposeA, bool transposeB)
    {
        Tensor.RequireSameDType("MatMul", a.Value, b.Value);
        var (batch, m, k, n) = MatMulShapes(a.Shape, b.Shape, transposeA, transposeB);
        var y = a.DType == DType.Float32
            ? MatMulForward<float>(a.Value, b.Value, transposeA, transposeB, batch, m, k, n)
            : MatMulForward<double>(a.Value, b.Value, transposeA, transposeB, batch, m, k, n);
        var settings = transposeA || transposeB ? $"transposeA={transposeA}, transposeB={transposeB}" : "";
        return Record("matmul", y, MatMulPullback(transposeA, transposeB, a.IsRecorded, b.IsRecorded), settings, a, b);
    }

    // y = op(a) op(b):  ga = g op(b)^T, or its transpose op(b) g^T when a is stored transposed;
    //                   gb = op(a)^T g, or its transpose g^T op(a) when b is stored transposed;
    // each summed over the batch dimensions its operand was broadcast along, and skipped for an operand
    // that was a constant when recorded (it gets no cotangent).
    private static Pullback MatMulPullback(bool transposeA, bool transposeB, bool gradA, bool gradB) => (g, xs, _) =>
    {
        Var a = xs[0], b = xs[1];
        var ga = !gradA ? null : SumTo(transposeA ? MatMul(b, g, transposeB, true) : MatMul(g, b, false, !transposeB), a.Shape);
        var gb = !gradB ? null : SumTo(transposeB ? MatMul(g, a, true, transposeA) : MatMul(a, g, !transposeA, false), b.Shape);
        return [ga, gb];
    };

    private static (Shape Batch, int M, int K, int N) MatMulShapes(Shape a, Shape b, bool transposeA, bool transposeB)
    {
        string Flags() => transposeA || transposeB ? $" (transposeA: {transposeA}, transposeB: {transposeB})" : "";
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"MatMul{Flags()} needs operands of rank at least 2 but got {a} and {b}: reshape a vector [k] to [1, k] or [k, 1].");
        int m = transposeA ? a[-1] : a[-2], ka = transposeA ? a[-2] : a[-1];
        int kb = transposeB ? b[-1] : b[-2], n = transposeB ? b[-2] : b[-1];
        if (ka != kb)
            throw new ArgumentException($"MatMul{Flags()} expects op(a) [..., m, k] and op(b) [..., k, n] with equal k but got {a} and {b}: {ka} against {kb}. Check the inner dimensions (transpose an operand if needed).");
        int r = Math.Max(a.Rank, b.Rank) - 2;
        var batch = new int[r];
        for (int i = 0; i < r; i++)
        {
            int ia = i - (r - (a.Rank - 2)), ib = i - (r - (b.Rank - 2));
            int da = ia >= 0 ? a.Dims[ia] : 1, db = ib >= 0 ? b.Dims[ib] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"MatMul{Flags()} cannot broadcast the batch dimensions of {a} and {b}: batch dimension {i} is {da} against {db}; each pair must be equal or 1.");
            batch[i] = da == 1 ? db : da;
        }
        return (batch, m, ka, n);
    }

    private static Tensor MatMulForward<T>(Tensor a, Tensor b, bool transposeA, bool transposeB, Shape batch, int m, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Uninitialized<T>(batch.Size * m * n);
        var yShape = Shape.Create([.. batch.Dims, m, n]);
        ReadOnlySpan<T> sa = a.Span<T>(), sb = b.Span<T>();
        int aMats = a.Size / Math.Max(1, m * k), bMats = b.Size / Math.Max(1, k * n);
        if (bMats == 1 && !transposeA)
        {
            // One product: a's batch folds into the rows ([B * m, k] x [k, n]); the output batch is a's.
            Gemm.Multiply(sa, sb, y, batch.Size * m, n, k, transB: transposeB);
            return Tensor.Own(y, yShape);
        }
        var strideA = MatrixStrides(a.Shape, batch);
        var strideB = MatrixStrides(b.Shape, batch);
        var idx = new int[batch.Rank];
        for (int o = 0; o < batch.Size; o++)
        {
            int ia = 0, ib = 0;
            for (int d = 0; d < idx.Length; d++) { ia += idx[d] * strideA[d]; ib += idx[d] * strideB[d]; }
            Gemm.Multiply(sa.Slice(ia * m * k, m * k), sb.Slice(ib * k * n, k * n), y.AsSpan(o * m * n, m * n), m, n, k, transposeA, transposeB);
            for (int d = idx.Length - 1; d >= 0 && ++idx[d] == batch.Dims[d]; d--) idx[d] = 0;
        }
        return Tensor.Own(y, yShape);
    }

    // Strides, in whole matrices, of x's batch dimensions laid over the broadcast batch shape (0 where broadcast).
    private static int[] MatrixStrides(Shape x, Shape batch)
    {
        var s = new int[batch.Rank];
        int off = batch.Rank - (x.Rank - 2), acc = 1;
        for (int i = x.Rank - 3; i >= 0; i--)
        {
            s[i + off] = x.Dims[i] == 1 ? 0 : acc;
            acc *= x.Dims[i];
        }
        return s;
    }
}
