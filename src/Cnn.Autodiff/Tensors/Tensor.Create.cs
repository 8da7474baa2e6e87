using System.Numerics;

namespace Cnn.Autodiff;

public sealed partial class Tensor
{
    /// <summary>A tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => Full(shape, 0.0, dtype);

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Full(shape, 1.0, dtype);

    /// <summary>A tensor with every element equal to <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32)
    {
        if (dtype == DType.Float32)
        {
            var a = new float[shape.Size];
            System.Array.Fill(a, (float)value);
            return Own(a, shape);
        }
        var d = new double[shape.Size];
        System.Array.Fill(d, value);
        return Own(d, shape);
    }

    /// <summary>A zero-dimensional tensor holding one value.</summary>
    public static Tensor Scalar(double value, DType dtype = DType.Float32) => Full([], value, dtype);

    /// <summary>A float32 tensor copied from <paramref name="data"/> (row-major), shaped <paramref name="shape"/> or 1-D.</summary>
    public static Tensor FromArray(float[] data, Shape? shape = null) => Own((float[])data.Clone(), shape ?? [data.Length]);

    /// <summary>A float64 tensor copied from <paramref name="data"/> (row-major), shaped <paramref name="shape"/> or 1-D.</summary>
    public static Tensor FromArray(double[] data, Shape? shape = null) => Own((double[])data.Clone(), shape ?? [data.Length]);

    /// <summary>The 1-D tensor start, start+step, ... (exclusive of <paramref name="stop"/>), as numpy.arange.</summary>
    public static Tensor Arange(double start, double stop, double step = 1, DType dtype = DType.Float32)
    {
        if (step == 0) throw new ArgumentException("Arange needs a non-zero step.");
        int n = Math.Max(0, (int)Math.Ceiling((stop - start) / step));
        return Generate([n], dtype, i => start + i * step);
    }

    /// <summary><paramref name="count"/> evenly spaced values from start to stop inclusive, as numpy.linspace.</summary>
    public static Tensor Linspace(double start, double stop, int count, DType dtype = DType.Float32) =>
        Generate([count], dtype, i => count == 1 ? start : start + (stop - start) * i / (count - 1));

    /// <summary>Normal samples with the given mean and standard deviation, drawn from <paramref name="rng"/>.</summary>
    public static Tensor RandomNormal(Rng rng, Shape shape, double mean = 0, double std = 1, DType dtype = DType.Float32) =>
        Generate(shape, dtype, i => mean + std * rng.Normal(i));

    /// <summary>Uniform samples in [low, high), drawn from <paramref name="rng"/>.</summary>
    public static Tensor RandomUniform(Rng rng, Shape shape, double low = 0, double high = 1, DType dtype = DType.Float32) =>
        Generate(shape, dtype, i => low + (high - low) * rng.Uniform(i));

    /// <summary>A tensor whose flat element i is <paramref name="f"/>(i). For setup code, not hot paths.</summary>
    public static Tensor Generate(Shape shape, DType dtype, Func<int, double> f)
    {
        int n = shape.Size;
        if (dtype == DType.Float32)
        {
            var a = new float[n];
            for (int i = 0; i < n; i++) a[i] = (float)f(i);
            return Own(a, shape);
        }
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = f(i);
        return Own(d, shape);
    }

    /// <summary>A tensor of the same shape and type whose elements are all <paramref name="value"/>.</summary>
    public Tensor FullLike(double value) => Full(Shape, value, DType);
}
