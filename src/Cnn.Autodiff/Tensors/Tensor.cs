using System.Numerics;
using System.Text;

namespace Cnn.Autodiff;

/// <summary>
/// An immutable dense row-major tensor of float32 or float64 elements. A kernel fills a fresh buffer
/// once; after that nobody mutates it, so tensors are shared freely between threads and tapes.
/// </summary>
public sealed partial class Tensor
{
    private readonly TensorStorage _storage;

    private Tensor(TensorStorage storage, Shape shape, DType dtype)
    {
        _storage = storage;
        Shape = shape;
        DType = dtype;
    }

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>Number of elements.</summary>
    public int Size => Shape.Size;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Rank;

    /// <summary>
    /// Wraps <paramref name="data"/> without copying. The caller hands the buffer over and must not
    /// write to it afterwards (kernels use this for the fresh buffers they fill).
    /// </summary>
    internal static Tensor Own<T>(T[] data, Shape shape) where T : unmanaged
    {
        if (data.Length != shape.Size)
            throw new ArgumentException($"A tensor of shape {shape} needs {shape.Size} elements but the buffer has {data.Length}.");
        var storage = new TensorStorage(data);
        if (data.Length >= Buffers.MinPooled) Buffers.Adopt(storage);
        return new Tensor(storage, shape, DTypes.Of<T>());
    }

    /// <summary>The storage this tensor shares with its reshaped views.</summary>
    internal TensorStorage Storage => _storage;

    // The elements, or an exception that says why they are gone.
    private Array Data => _storage.Data ?? throw new InvalidOperationException(
        $"This {DType.ShortName()}{Shape} tensor was {_storage.ReleasedBecause}");

    /// <summary>The elements, read-only, as <typeparamref name="T"/> (float for f32, double for f64).</summary>
    public ReadOnlySpan<T> Span<T>() where T : unmanaged =>
        Data as T[] ?? throw new InvalidOperationException($"This tensor holds {DType.ShortName()} elements, not {typeof(T).Name}.");

    /// <summary>The backing array for kernels that read it; never written after construction.</summary>
    internal T[] Array<T>() where T : unmanaged =>
        Data as T[] ?? throw new InvalidOperationException($"This tensor holds {DType.ShortName()} elements, not {typeof(T).Name}.");

    /// <summary>A copy of the elements as float32.</summary>
    public float[] ToFloatArray() => Data is float[] f ? (float[])f.Clone() : System.Array.ConvertAll((double[])Data, v => (float)v);

    /// <summary>A copy of the elements as float64.</summary>
    public double[] ToDoubleArray() => Data is double[] d ? (double[])d.Clone() : System.Array.ConvertAll((float[])Data, v => (double)v);

    /// <summary>Element <paramref name="flatIndex"/> (row-major) as a double.</summary>
    public double At(int flatIndex) => Data is float[] f ? f[flatIndex] : ((double[])Data)[flatIndex];

    /// <summary>The element at a multi-index, as a double.</summary>
    public double this[params int[] index]
    {
        get
        {
            if (index.Length != Rank)
                throw new ArgumentException($"Indexing a tensor of shape {Shape} needs {Rank} indices but got {index.Length}.");
            int flat = 0;
            for (int i = 0; i < Rank; i++)
            {
                if ((uint)index[i] >= (uint)Shape[i])
                    throw new IndexOutOfRangeException($"Index {index[i]} is out of range for axis {i} of shape {Shape}.");
                flat = flat * Shape[i] + index[i];
            }
            return At(flat);
        }
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public double ToScalar() =>
        Size == 1 ? At(0) : throw new InvalidOperationException($"ToScalar needs a tensor with one element but the shape is {Shape}.");

    /// <summary>The same values with another shape of equal size (no copy: the data are immutable).</summary>
    public Tensor Reshape(Shape shape)
    {
        if (shape.Size != Size)
            throw new ArgumentException($"Reshape cannot turn {Shape} ({Size} elements) into {shape} ({shape.Size} elements).");
        return new Tensor(_storage, shape, DType);
    }

    /// <summary>A copy with its own storage (the same values and shape).</summary>
    public Tensor Copy() => DType == DType.Float32 ? Own(ToFloatArray(), Shape) : Own(ToDoubleArray(), Shape);

    /// <summary>The values converted to <paramref name="dtype"/> (the same tensor if it already is).</summary>
    public Tensor Cast(DType dtype) =>
        dtype == DType ? this
        : dtype == DType.Float32 ? Own(ToFloatArray(), Shape)
        : Own(ToDoubleArray(), Shape);

    /// <summary>Throws unless both tensors have the same element type; names the op.</summary>
    public static void RequireSameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"{op} got {a.DType.ShortName()}{a.Shape} and {b.DType.ShortName()}{b.Shape}: mixing element types in one op is not allowed; convert one with Cast.");
    }

    /// <summary>True when the shapes are equal and every pair of elements differs by at most atol + rtol*|b|.</summary>
    public bool AllClose(Tensor other, double rtol = 1e-5, double atol = 1e-8)
    {
        if (Shape != other.Shape) return false;
        for (int i = 0; i < Size; i++)
        {
            double a = At(i), b = other.At(i);
            if (double.IsNaN(a) || double.IsNaN(b) || Math.Abs(a - b) > atol + rtol * Math.Abs(b)) return false;
        }
        return true;
    }

    /// <summary>The largest absolute elementwise difference to a tensor of the same shape.</summary>
    public double MaxAbsDiff(Tensor other)
    {
        if (Shape != other.Shape)
            throw new ArgumentException($"MaxAbsDiff needs equal shapes but got {Shape} and {other.Shape}.");
        double m = 0;
        for (int i = 0; i < Size; i++) m = Math.Max(m, Math.Abs(At(i) - other.At(i)));
        return m;
    }

    /// <summary>A short description: element type, shape and (for small tensors) the values.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(DType.ShortName()).Append(Shape);
        if (Size <= 16)
        {
            sb.Append(" {");
            for (int i = 0; i < Size; i++) sb.Append(i == 0 ? "" : ", ").Append(At(i).ToString("G6", System.Globalization.CultureInfo.InvariantCulture));
            sb.Append('}');
        }
        return sb.ToString();
    }

    /// <summary>Calls <paramref name="f32"/> or <paramref name="f64"/> by element type: the op-boundary dispatch.</summary>
    internal static TResult ByType<TResult>(DType dtype, Func<TResult> f32, Func<TResult> f64) =>
        dtype == DType.Float32 ? f32() : f64();
}
