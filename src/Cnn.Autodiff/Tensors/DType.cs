namespace Cnn.Autodiff;

/// <summary>The element type of a tensor. float32 is the fast path; float64 is reference precision.</summary>
public enum DType
{
    Float32,
    Float64,
}

/// <summary>Maps element types to <see cref="DType"/> and back.</summary>
public static class DTypes
{
    /// <summary>The <see cref="DType"/> of the CLR element type <typeparamref name="T"/>.</summary>
    public static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : throw new NotSupportedException($"Tensors hold float or double elements, not {typeof(T).Name}.");

    /// <summary>Short name used in traces and messages: f32 or f64.</summary>
    public static string ShortName(this DType d) => d == DType.Float32 ? "f32" : "f64";
}
