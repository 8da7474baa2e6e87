using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Softmax and log-softmax along one axis of a row-major tensor viewed as [outer, n, inner], with the
/// axis of length n in the middle. Both subtract the maximum along the axis first, so large inputs
/// neither overflow nor lose the small terms.
/// </summary>
public static class SoftmaxKernels
{
    /// <summary>
    /// y = exp(x - m) / sum(exp(x - m)) (softmax) or y = x - m - log(sum(exp(x - m))) (log-softmax),
    /// where m is the maximum of x along the axis.
    /// </summary>
    /// <param name="x">[outer, n, inner]</param>
    /// <param name="y">[outer, n, inner], written.</param>
    public static void Softmax<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (n == 0 || outer == 0 || inner == 0) return;
        if (inner == 1) Rows(x, y, outer, n, log);
        else Slabs(x, y, outer, n, inner, log);
    }

    // The axis is contiguous: one row of length n at a time.
    private static void Rows<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < outer; o++)
        {
            var xr = x.Slice(o * n, n);
            var yr = y.Slice(o * n, n);
            T m = TensorPrimitives.Max(xr);
            TensorPrimitives.Subtract(xr, m, yr);
            TensorPrimitives.Exp(yr, yr);
            T s = TensorPrimitives.Sum<T>(yr);
            if (log) TensorPrimitives.Subtract(xr, m + T.Log(s), yr);
            else TensorPrimitives.Divide(yr, s, yr);
        }
    }

    // The axis is strided by inner: reduce whole slabs of length inner at once, so the vector
    // operations run along the contiguous inner dimension.
    private static void Slabs<T>(ReadOnlySpan<T> x, Span<T> y, int outer, int n, int inner, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new T[inner];
        var s = new T[inner];
        for (int o = 0; o < outer; o++)
        {
            int b = o * n * inner;
            x.Slice(b, inner).CopyTo(m);
            for (int k = 1; k < n; k++) TensorPrimitives.Max(m, x.Slice(b + k * inner, inner), m);
            Array.Clear(s);
            for (int k = 0; k < n; k++)
            {
                var yk = y.Slice(b + k * inner, inner);
                TensorPrimitives.Subtract(x.Slice(b + k * inner, inner), m, yk);
                TensorPrimitives.Exp(yk, yk);
                TensorPrimitives.Add(s, yk, s);
            }
            if (log)
            {
                TensorPrimitives.Log(s, s);
                TensorPrimitives.Add(s, m, s);
                for (int k = 0; k < n; k++) TensorPrimitives.Subtract(x.Slice(b + k * inner, inner), s, y.Slice(b + k * inner, inner));
            }
            else
                for (int k = 0; k < n; k++) TensorPrimitives.Divide(y.Slice(b + k * inner, inner), s, y.Slice(b + k * inner, inner));
        }
    }
}
