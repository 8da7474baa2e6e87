using Cnn.Autodiff;

namespace Cnn.Unit.Tensors;

public class TensorTests
{
    [Fact]
    public void Creation_ZerosOnesFull_HaveShapeTypeAndValues()
    {
        var z = Tensor.Zeros([2, 3]);
        var o = Tensor.Ones([4], DType.Float64);
        var f = Tensor.Full([2, 2], 2.5);
        Assert.Equal(Shape.Create([2, 3]), z.Shape);
        Assert.Equal(DType.Float32, z.DType);
        Assert.All(z.ToDoubleArray(), v => Assert.Equal(0.0, v));
        Assert.Equal(DType.Float64, o.DType);
        Assert.All(o.ToDoubleArray(), v => Assert.Equal(1.0, v));
        Assert.All(f.ToDoubleArray(), v => Assert.Equal(2.5, v));
    }

    [Fact]
    public void Arange_Linspace_MatchNumPy()
    {
        Assert.Equal([0.0, 0.5, 1.0, 1.5], Tensor.Arange(0, 2, 0.5, DType.Float64).ToDoubleArray());
        Assert.Equal([1.0, 1.5, 2.0], Tensor.Linspace(1, 2, 3, DType.Float64).ToDoubleArray());
        Assert.Equal(0, Tensor.Arange(3, 1).Size);
    }

    [Fact]
    public void FromArray_CopiesTheInput()
    {
        var data = new float[] { 1, 2, 3, 4 };
        var t = Tensor.FromArray(data, [2, 2]);
        data[0] = 99;
        Assert.Equal(1.0, t[0, 0]);
        Assert.Equal(4.0, t[1, 1]);
    }

    [Fact]
    public void FromArray_WrongLength_NamesShapeAndCount()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.FromArray(new float[5], [2, 3]));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("5", ex.Message);
    }

    [Fact]
    public void Span_OfWrongElementType_Throws()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Tensor.Zeros([2]).Span<double>().Length);
        Assert.Contains("f32", ex.Message);
    }

    [Fact]
    public void Random_SameKey_SameValues_DifferentKeys_DifferentValues()
    {
        var a = Tensor.RandomNormal(Rng.Seed(7), [1000], dtype: DType.Float64);
        var b = Tensor.RandomNormal(Rng.Seed(7), [1000], dtype: DType.Float64);
        var c = Tensor.RandomNormal(Rng.Seed(8), [1000], dtype: DType.Float64);
        Assert.Equal(a.ToDoubleArray(), b.ToDoubleArray());
        Assert.NotEqual(a.ToDoubleArray(), c.ToDoubleArray());
    }

    [Fact]
    public void RandomNormal_HasRequestedMoments()
    {
        var x = Tensor.RandomNormal(Rng.Seed(1), [100_000], mean: 2, std: 3, dtype: DType.Float64).ToDoubleArray();
        double mean = x.Average(), std = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, 2 - 0.05, 2 + 0.05);
        Assert.InRange(std, 3 - 0.05, 3 + 0.05);
    }

    [Fact]
    public void RandomUniform_StaysInRange_AndCoversIt()
    {
        var x = Tensor.RandomUniform(Rng.Seed(3), [10_000], -1, 2, DType.Float64).ToDoubleArray();
        Assert.All(x, v => Assert.InRange(v, -1.0, 2.0));
        Assert.InRange(x.Min(), -1.0, -0.99);
        Assert.InRange(x.Max(), 1.99, 2.0);
    }

    [Fact]
    public void Rng_Split_GivesIndependentKeys()
    {
        var (a, b) = Rng.Seed(5).Split();
        Assert.NotEqual(a, b);
        Assert.NotEqual(a.Bits(0), b.Bits(0));
        Assert.Equal(10, Rng.Seed(5).Split(10).Distinct().Count());
    }

    [Fact]
    public void Rng_Permutation_IsAPermutation()
    {
        var p = Rng.Seed(9).Permutation(100);
        Assert.Equal(Enumerable.Range(0, 100), p.Order());
        Assert.NotEqual(Enumerable.Range(0, 100), p);
    }

    [Fact]
    public void Cast_RoundTrips_AndReturnsSameTensorForSameType()
    {
        var t = Tensor.FromArray(new[] { 1.5, -2.25 });
        Assert.Same(t, t.Cast(DType.Float64));
        Assert.Equal(t.ToDoubleArray(), t.Cast(DType.Float32).Cast(DType.Float64).ToDoubleArray());
    }

    [Fact]
    public void SystemTensor_RoundTrip_KeepsShapeAndValues()
    {
        var t = Tensor.Arange(0, 24).Reshape([2, 3, 4]);
#pragma warning disable SYSLIB5001
        var s = t.ToSystemTensor<float>();
        Assert.Equal(3, s.Rank);
        Assert.Equal(24, s.FlattenedLength);
        var back = Tensor.FromSystemTensor(s);
#pragma warning restore SYSLIB5001
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.ToFloatArray(), back.ToFloatArray());
    }

    [Fact]
    public void Shape_NegativeDimension_Throws() =>
        Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, -1]));

    [Fact]
    public void Indexer_OutOfRange_NamesAxisAndShape()
    {
        var ex = Assert.Throws<IndexOutOfRangeException>(() => Tensor.Zeros([2, 3])[1, 3]);
        Assert.Contains("axis 1", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
    }
}
