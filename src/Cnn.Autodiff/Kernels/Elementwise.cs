using System.Numerics;

namespace Cnn.Autodiff.Kernels;

/// <summary>An elementwise kernel of two equal-length spans, written once for every element type.</summary>
public interface IBinaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An elementwise kernel of one span, written once for every element type.</summary>
public interface IUnaryKernel
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Runs elementwise kernels over tensors: element-type dispatch and broadcasting in one place.</summary>
public static class Elementwise
{
    /// <summary>d = K(a, b) with NumPy broadcasting; <paramref name="op"/> names the op in errors.</summary>
    public static Tensor Binary<K>(string op, Tensor a, Tensor b) where K : IBinaryKernel
    {
        Tensor.RequireSameDType(op, a, b);
        var shape = Broadcast.Shapes(op, a.Shape, b.Shape);
        return a.DType == DType.Float32 ? Binary<K, float>(a, b, shape) : Binary<K, double>(a, b, shape);
    }

    private static Tensor Binary<K, T>(Tensor a, Tensor b, Shape shape) where K : IBinaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = Buffers.Uninitialized<T>(shape.Size);
        T[]? x = a.Shape == shape ? null : Broadcast.Expand(a.Span<T>(), a.Shape, shape);
        T[]? y = b.Shape == shape ? null : Broadcast.Expand(b.Span<T>(), b.Shape, shape);
        K.Apply(x ?? a.Span<T>(), y ?? b.Span<T>(), d);
        // NOTE: the broadcast copies are this kernel's own scratch, dead once applied.
        if (x is not null) Buffers.Recycle(x);
        if (y is not null) Buffers.Recycle(y);
        return Tensor.Own(d, shape);
    }

    /// <summary>d = K(x), elementwise.</summary>
    public static Tensor Unary<K>(Tensor x) where K : IUnaryKernel =>
        x.DType == DType.Float32 ? Unary<K, float>(x) : Unary<K, double>(x);

    private static Tensor Unary<K, T>(Tensor x) where K : IUnaryKernel where T : unmanaged, IFloatingPointIeee754<T>
    {
        var d = Buffers.Uninitialized<T>(x.Size);
        K.Apply(x.Span<T>(), d);
        return Tensor.Own(d, x.Shape);
    }

    /// <summary>x broadcast to <paramref name="shape"/>.</summary>
    public static Tensor Expand(Tensor x, Shape shape) =>
        x.DType == DType.Float32
            ? Tensor.Own(Broadcast.Expand(x.Span<float>(), x.Shape, shape), shape)
            : Tensor.Own(Broadcast.Expand(x.Span<double>(), x.Shape, shape), shape);

    /// <summary>x summed over broadcast dimensions down to <paramref name="shape"/>.</summary>
    public static Tensor SumTo(Tensor x, Shape shape) =>
        x.DType == DType.Float32
            ? Tensor.Own(Broadcast.SumTo(x.Span<float>(), x.Shape, shape), shape)
            : Tensor.Own(Broadcast.SumTo(x.Span<double>(), x.Shape, shape), shape);
}
