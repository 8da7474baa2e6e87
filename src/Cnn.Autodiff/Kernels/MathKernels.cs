using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Cnn.Autodiff.Kernels;

/// <summary>d = exp(x).</summary>
public readonly struct ExpKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Exp(x, d);
}

/// <summary>d = ln(x) (NaN for x &lt; 0, -inf at 0).</summary>
public readonly struct LogKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Log(x, d);
}

/// <summary>d = sqrt(x) (NaN for x &lt; 0).</summary>
public readonly struct SqrtKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Sqrt(x, d);
}

/// <summary>d = x * x.</summary>
public readonly struct SquareKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, x, d);
}

/// <summary>d = |x|.</summary>
public readonly struct AbsKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Abs(x, d);
}

/// <summary>d = tanh(x), accurate to a few ulps relative to the result also near 0.</summary>
public readonly struct TanhKernel : IUnaryKernel
{
    // NOTE: TensorPrimitives.Tanh (System.Numerics.Tensors 10.0.0) loses relative accuracy near 0 (float:
    // tanh(1e-5) = 9.954e-6, tanh(1e-30) = -5.96e-8), so elements with |x| below this bound are recomputed
    // with the scalar T.Tanh.
    private const double SmallArgument = 0.25;

    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Tanh(x, d);
        T small = T.CreateTruncating(SmallArgument);
        for (int i = 0; i < x.Length; i++)
            if (T.Abs(x[i]) < small) d[i] = T.Tanh(x[i]);
    }
}

/// <summary>
/// d = 1 / (1 + exp(-x)). Stable at both ends: exp(-x) overflows to +inf for very negative x, giving
/// exactly 0, and underflows to 0 for very positive x, giving exactly 1; never NaN for finite x.
/// </summary>
public readonly struct SigmoidKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != d.Length) throw new ArgumentException($"Sigmoid needs equal lengths but got {x.Length} and {d.Length}.");
        if (x.Length > 0) TensorPrimitives.Sigmoid(x, d); // which rejects empty spans
    }
}

/// <summary>d = 1 where x &gt; 0, -1 where x &lt; 0, else 0 (also 0 for -0 and NaN).</summary>
/// <remarks>NOTE: sign(0) = 0, so the subgradient of |x| at 0 is 0, as in PyTorch.</remarks>
public readonly struct SignKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> =>
        MathKernels.SelectBySign(x, d, T.One, T.Zero, T.NegativeOne);
}

/// <summary>d = x where x is finite, else 0 (the shift LogSumExp subtracts, so an all -inf row stays -inf rather than NaN).</summary>
public readonly struct FiniteOrZeroKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != d.Length) throw new ArgumentException($"FiniteOrZero needs equal lengths but got {x.Length} and {d.Length}.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref xr, (nuint)i);
                // v - v is 0 exactly when v is finite (inf - inf and NaN - NaN are NaN)
                Vector.ConditionalSelect(Vector.Equals(v - v, Vector<T>.Zero), v, Vector<T>.Zero).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) d[i] = T.IsFinite(x[i]) ? x[i] : T.Zero;
    }
}

/// <summary>An elementwise kernel of one span and one scalar setting, written once for every element type.</summary>
public interface IScalarUnaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, T p, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>d = x^p (NaN for x &lt; 0 and non-integer p, as Math.Pow).</summary>
public readonly struct PowKernel : IScalarUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, T p, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Pow(x, p, d);
}

/// <summary>d = x where x &gt; 0, else slope * x.</summary>
public readonly struct LeakyReluKernel : IScalarUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, T slope, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != d.Length) throw new ArgumentException($"LeakyRelu needs equal lengths but got {x.Length} and {d.Length}.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var s = new Vector<T>(slope);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref xr, (nuint)i);
                Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), v, v * s).StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) d[i] = x[i] > T.Zero ? x[i] : x[i] * slope;
    }
}

/// <summary>d = 1 where x &gt; 0, else slope: the derivative of leaky relu.</summary>
/// <remarks>NOTE: the derivative at 0 is the slope, as in PyTorch.</remarks>
public readonly struct LeakyReluSlopeKernel : IScalarUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, T slope, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> =>
        MathKernels.SelectBySign(x, d, T.One, slope, slope);
}

/// <summary>Shared vector loops of the math kernels, and the tensor-level driver of <see cref="IScalarUnaryKernel"/>.</summary>
public static class MathKernels
{
    /// <summary>d = K(x, p), elementwise, with p converted to the tensor's element type.</summary>
    public static Tensor Unary<K>(Tensor x, double p) where K : IScalarUnaryKernel =>
        x.DType == DType.Float32 ? Unary<K, float>(x, (float)p) : Unary<K, double>(x, p);

    private static Tensor Unary<K, T>(Tensor x, T p) where K : IScalarUnaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = Buffers.Uninitialized<T>(x.Size);
        K.Apply(x.Span<T>(), p, d);
        return Tensor.Own(d, x.Shape);
    }

    /// <summary>d = <paramref name="positive"/> where x &gt; 0, <paramref name="negative"/> where x &lt; 0, else <paramref name="zero"/> (for ±0 and NaN).</summary>
    public static void SelectBySign<T>(ReadOnlySpan<T> x, Span<T> d, T positive, T zero, T negative) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != d.Length) throw new ArgumentException($"SelectBySign needs equal lengths but got {x.Length} and {d.Length}.");
        ref T xr = ref MemoryMarshal.GetReference(x);
        ref T dr = ref MemoryMarshal.GetReference(d);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            Vector<T> p = new(positive), z = new(zero), n = new(negative);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var v = Vector.LoadUnsafe(ref xr, (nuint)i);
                var r = Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<T>.Zero), p, Vector.ConditionalSelect(Vector.LessThan(v, Vector<T>.Zero), n, z));
                r.StoreUnsafe(ref dr, (nuint)i);
            }
        }
        for (; i < x.Length; i++) d[i] = x[i] > T.Zero ? positive : x[i] < T.Zero ? negative : zero;
    }
}
