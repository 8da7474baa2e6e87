using System.Numerics;
using System.Numerics.Tensors;

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
