using System.Numerics;
using System.Numerics.Tensors;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// d = log(1 + exp(x)), computed as max(x, 0) + log1p(exp(-|x|)) so it neither overflows nor
/// underflows. log1p(u) is evaluated as u log(w) / (w - 1) with w = 1 + u rounded (u itself when
/// w = 1), which keeps full relative precision for tiny u where log(1 + u) would round to 0.
/// </summary>
public readonly struct SoftplusKernel : IUnaryKernel
{
    private const int Chunk = 256;

    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> u = stackalloc T[Chunk];
        Span<T> w = stackalloc T[Chunk];
        Span<T> l = stackalloc T[Chunk];
        for (int i = 0; i < x.Length; i += Chunk)
        {
            int len = Math.Min(Chunk, x.Length - i);
            var xs = x.Slice(i, len);
            var us = u[..len];
            var ws = w[..len];
            var ls = l[..len];
            TensorPrimitives.Abs(xs, us);
            TensorPrimitives.Negate(us, us);
            TensorPrimitives.Exp(us, us);
            TensorPrimitives.Add(us, T.One, ws);
            TensorPrimitives.Log(ws, ls);
            Combine(xs, us, ws, ls, d.Slice(i, len));
        }
    }

    // d = max(x, 0) + (w == 1 ? u : l u / (w - 1))
    private static void Combine<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> u, ReadOnlySpan<T> w, ReadOnlySpan<T> l, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var uv = new Vector<T>(u[i..]);
                var den = new Vector<T>(w[i..]) - Vector<T>.One;
                var log1p = Vector.ConditionalSelect(Vector.Equals(den, Vector<T>.Zero), uv, new Vector<T>(l[i..]) * uv / den);
                (Vector.Max(new Vector<T>(x[i..]), Vector<T>.Zero) + log1p).CopyTo(d[i..]);
            }
        for (; i < x.Length; i++)
        {
            T den = w[i] - T.One;
            d[i] = T.Max(x[i], T.Zero) + (den == T.Zero ? u[i] : l[i] * u[i] / den);
        }
    }
}

/// <summary>d = 1 / sqrt(x).</summary>
public readonly struct RsqrtKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.ReciprocalSqrt(x, d);
}

/// <summary>Gathering one element per row of a matrix, its adjoint, and dropout masks.</summary>
public static class LossKernels
{
    /// <summary>y[r] = x[r, indices[r]]; every index must lie in [0, cols).</summary>
    /// <param name="x">[rows, cols]</param>
    /// <param name="y">[rows], written.</param>
    public static void Pick<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> indices, Span<T> y, int cols) where T : unmanaged
    {
        for (int r = 0; r < indices.Length; r++) y[r] = x[r * cols + indices[r]];
    }

    /// <summary>y = zeros [rows, cols] with y[r, indices[r]] = x[r]: the adjoint of <see cref="Pick{T}"/>.</summary>
    /// <param name="x">[rows]</param>
    /// <param name="y">[rows, cols], written in full.</param>
    public static void PickTranspose<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> indices, Span<T> y, int cols) where T : unmanaged
    {
        y.Clear();
        for (int r = 0; r < indices.Length; r++) y[r * cols + indices[r]] = x[r];
    }

    /// <summary>
    /// An inverted-dropout mask: d[i] = 1 / (1 - p) where uniform number i of <paramref name="rng"/> is
    /// below 1 - p (probability 1 - p), else 0. All zeros when p = 1.
    /// </summary>
    public static void DropoutMask<T>(Rng rng, double p, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double keep = 1 - p;
        T scale = keep > 0 ? T.CreateChecked(1 / keep) : T.Zero;
        for (int i = 0; i < d.Length; i++) d[i] = rng.Uniform(i) < keep ? scale : T.Zero;
    }
}
