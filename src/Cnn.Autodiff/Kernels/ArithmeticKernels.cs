using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Cnn.Autodiff.Kernels;

/// <summary>d = x + y.</summary>
public readonly struct AddKernel : IBinaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Add(x, y, d);
}

/// <summary>d = x - y.</summary>
public readonly struct SubtractKernel : IBinaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Subtract(x, y, d);
}

/// <summary>d = x * y.</summary>
public readonly struct MultiplyKernel : IBinaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Multiply(x, y, d);
}

/// <summary>d = x / y.</summary>
public readonly struct DivideKernel : IBinaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Divide(x, y, d);
}

/// <summary>d = -x.</summary>
public readonly struct NegateKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Negate(x, d);
}

/// <summary>d = max(x, 0).</summary>
public readonly struct ReluKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TensorPrimitives.Max(x, T.Zero, d);
}

/// <summary>d = 1 where x &gt; 0, else 0 (the derivative of relu; 0 at 0, as in PyTorch).</summary>
public readonly struct PositiveMaskKernel : IUnaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> =>
        MathKernels.SelectBySign(x, d, T.One, T.Zero, T.Zero);
}

/// <summary>d = x where y &gt; 0, else 0 (also where y is NaN): relu's cotangent, g masked by relu's input, in one pass.</summary>
public readonly struct WherePositiveKernel : IBinaryKernel
{
    public static void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != d.Length || y.Length != d.Length)
            throw new ArgumentException($"WherePositive needs equal lengths but got {x.Length}, {y.Length} and {d.Length}.");
        ref T xr = ref MemoryMarshal.GetReference(x), yr = ref MemoryMarshal.GetReference(y), dr = ref MemoryMarshal.GetReference(d);
        int i = 0, w = Vector512<T>.Count;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= d.Length - w; i += w)
            {
                var positive = Vector512.GreaterThan(Vector512.LoadUnsafe(ref yr, (nuint)i), Vector512<T>.Zero);
                (Vector512.LoadUnsafe(ref xr, (nuint)i) & positive).StoreUnsafe(ref dr, (nuint)i);
            }
        for (; i < d.Length; i++) d[i] = y[i] > T.Zero ? x[i] : T.Zero;
    }
}
