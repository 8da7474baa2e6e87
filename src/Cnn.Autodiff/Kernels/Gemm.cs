using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>General matrix multiplication on row-major spans.</summary>
public static class Gemm
{
    /// <summary>
    /// C = op(A) op(B), or C += op(A) op(B) when <paramref name="accumulate"/>, with C [m, n].
    /// op(A) is [m, k]: A is stored [m, k], or [k, m] when <paramref name="transA"/>.
    /// op(B) is [k, n]: B is stored [k, n], or [n, k] when <paramref name="transB"/>.
    /// </summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k,
        bool transA = false, bool transB = false, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n)
            throw new ArgumentException($"Gemm of [{m}, {k}] x [{k}, {n}] got buffers of {a.Length}, {b.Length} and {c.Length} elements.");
        var cm = c[..(m * n)];
        if (!accumulate) cm.Clear();
        if (k == 0) return;
        T[]? at = transA ? Transpose(a, k, m) : null;
        T[]? bt = transB ? Transpose(b, n, k) : null;
        ReadOnlySpan<T> A = at ?? a, B = bt ?? b;
        for (int i = 0; i < m; i++)
        {
            var crow = cm.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                var aip = A[i * k + p];
                if (aip == T.Zero) continue;
                TensorPrimitives.MultiplyAdd(B.Slice(p * n, n), aip, crow, crow);
            }
        }
    }

    /// <summary>The transpose of the row-major [rows, cols] matrix <paramref name="x"/>, as [cols, rows].</summary>
    public static T[] Transpose<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged
    {
        var t = new T[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = x[r * cols + c];
        return t;
    }
}
