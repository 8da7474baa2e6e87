using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Cnn.Autodiff;

/// <summary>
/// The dimensions of a dense row-major tensor, as an immutable value. <c>[]</c> is a scalar.
/// Written with collection expressions: <c>Shape s = [64, 3, 32, 32];</c>
/// </summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    private readonly ImmutableArray<int> _dims;

    private Shape(ImmutableArray<int> dims) => _dims = dims;

    /// <summary>Builds a shape; every dimension must be non-negative.</summary>
    public static Shape Create(ReadOnlySpan<int> dims)
    {
        foreach (var d in dims)
            if (d < 0)
                throw new ArgumentException($"Shape dimensions must be non-negative but got [{string.Join(", ", dims.ToArray())}].");
        return new Shape(ImmutableArray.Create(dims));
    }

    /// <summary>The dimensions.</summary>
    public ImmutableArray<int> Dims => _dims.IsDefault ? ImmutableArray<int>.Empty : _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Dims.Length;

    /// <summary>Number of elements: the product of the dimensions (1 for a scalar).</summary>
    public int Size
    {
        get
        {
            long n = 1;
            foreach (var d in Dims) n *= d;
            if (n > int.MaxValue)
                throw new ArgumentException($"Shape {this} holds {n} elements, more than a tensor can (2^31 - 1).");
            return (int)n;
        }
    }

    /// <summary>Dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis] => Dims[NormalizeAxis(axis, Rank)];

    public int Count => Rank;

    /// <summary>Row-major strides, in elements.</summary>
    public int[] Strides()
    {
        var s = new int[Rank];
        int acc = 1;
        for (int i = Rank - 1; i >= 0; i--) { s[i] = acc; acc *= Dims[i]; }
        return s;
    }

    /// <summary>Turns a possibly negative axis into 0..rank-1, or throws naming the axis and rank.</summary>
    public static int NormalizeAxis(int axis, int rank)
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is out of range for a tensor of rank {rank}.");
        return a;
    }

    /// <summary>A copy with dimension <paramref name="axis"/> replaced.</summary>
    public Shape With(int axis, int size)
    {
        var d = Dims.ToArray();
        d[NormalizeAxis(axis, Rank)] = size;
        return Create(d);
    }

    public int[] ToArray() => Dims.ToArray();

    public bool Equals(Shape other) => Dims.AsSpan().SequenceEqual(other.Dims.AsSpan());
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)Dims).GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Formats as <c>[64, 3, 32, 32]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", Dims) + "]";

    public static implicit operator Shape(int[] dims) => Create(dims);
}
