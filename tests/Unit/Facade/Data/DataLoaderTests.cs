using Cnn.Autodiff;
using Cnn.Facade.Data;

namespace Cnn.Unit.Facade.Data;

public class DataLoaderTests
{
    /// <summary>n samples [2, 3, 3] where every element of sample i equals i, labeled i.</summary>
    internal static TensorDataset Indexed(int n, DType dtype = DType.Float32)
    {
        var labels = new int[n];
        var values = new double[n * 18];
        for (int i = 0; i < n; i++)
        {
            labels[i] = i;
            values.AsSpan(i * 18, 18).Fill(i);
        }
        return new TensorDataset(Tensor.FromArray(values, [n, 2, 3, 3]).Cast(dtype), labels);
    }

    private static void AssertRowsMatchLabels(Tensor x, int[] y)
    {
        Assert.Equal(y.Length, x.Shape[0]);
        for (int b = 0; b < y.Length; b++)
            for (int k = 0; k < 18; k++) Assert.Equal(y[b], x.At(b * 18 + k));
    }

    [Fact]
    public void TensorDataset_LabelCountMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros([3, 2]), [0, 1]));
        Assert.Contains("3 samples but got 2 labels", e.Message);
        Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Zeros([1]), [-1]));
        Assert.Throws<ArgumentException>(() => new TensorDataset(Tensor.Scalar(1), []));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Gather_Indices_StacksSamplesInOrder(DType dtype)
    {
        var data = Indexed(6, dtype);
        var (x, y) = data.Gather([4, 0, 4]);
        Assert.Equal(dtype, x.DType);
        Assert.Equal(Shape.Create([3, 2, 3, 3]), x.Shape);
        Assert.Equal([4, 0, 4], y);
        AssertRowsMatchLabels(x, y);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Gather([6]));
        Assert.Equal(Shape.Create([2, 3, 3]), data.SampleShape);
    }

    [Fact]
    public void Slice_Range_KeepsThoseSamples()
    {
        var s = Indexed(6).Slice(2, 3);
        Assert.Equal([2, 3, 4], s.Labels.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => Indexed(6).Slice(4, 3));
    }

    [Fact]
    public void Epoch_Shuffled_VisitsEverySampleExactlyOnce()
    {
        var loader = new DataLoader(Indexed(23), batchSize: 5, shuffle: true, seed: 7);
        Assert.Equal(5, loader.BatchesPerEpoch);
        var seen = new List<int>();
        var sizes = new List<int>();
        foreach (var (x, y) in loader.Epoch(0))
        {
            AssertRowsMatchLabels(x, y);
            seen.AddRange(y);
            sizes.Add(y.Length);
        }
        Assert.Equal([5, 5, 5, 5, 3], sizes);
        Assert.Equal(Enumerable.Range(0, 23), seen.Order());
        Assert.NotEqual(Enumerable.Range(0, 23), seen);
    }

    [Fact]
    public void Epoch_SameSeedAndEpoch_SameBatches_OtherEpochOrSeed_Differs()
    {
        static int[] Labels(DataLoader l, int epoch) => l.Epoch(epoch).SelectMany(b => b.Y).ToArray();
        var data = Indexed(40);
        var a = new DataLoader(data, 8, shuffle: true, seed: 1);
        var b = new DataLoader(data, 8, shuffle: true, seed: 1);
        var c = new DataLoader(data, 8, shuffle: true, seed: 2);
        Assert.Equal(Labels(a, 3), Labels(b, 3));
        Assert.NotEqual(Labels(a, 3), Labels(a, 4));
        Assert.NotEqual(Labels(a, 3), Labels(c, 3));
        Assert.Equal(a.Order(3), Labels(a, 3));
    }

    [Fact]
    public void Epoch_NoShuffle_DatasetOrder()
    {
        var loader = new DataLoader(Indexed(7), 3);
        Assert.Equal(Enumerable.Range(0, 7), loader.Epoch(5).SelectMany(b => b.Y));
    }

    [Fact]
    public void Epoch_DropLast_LeavesOutShortBatch()
    {
        var loader = new DataLoader(Indexed(23), 5, shuffle: true, dropLast: true, seed: 3);
        Assert.Equal(4, loader.BatchesPerEpoch);
        var batches = loader.Epoch(0).ToList();
        Assert.Equal(4, batches.Count);
        Assert.All(batches, b => Assert.Equal(5, b.Y.Length));
        Assert.Equal(20, batches.SelectMany(b => b.Y).Distinct().Count());
        Assert.Equal(2, new DataLoader(Indexed(10), 5, dropLast: true).Epoch(0).Count());
    }

    [Fact]
    public void DataLoader_BadArguments_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Indexed(3), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataLoader(Indexed(3), 1).Epoch(-1));
    }

    [Fact]
    public void Epoch_Transform_AugmentsEachSampleByKeyEpochAndIndexOnly()
    {
        var images = Tensor.RandomUniform(Rng.Seed(5), [10, 1, 4, 4]);
        var data = new TensorDataset(images, new int[10]);
        var augment = new Compose(new RandomCrop(1), new RandomHorizontalFlip());
        Tensor Stack(int batchSize, int epoch) => Concat(new DataLoader(data, batchSize, seed: 9, transform: augment).Epoch(epoch).Select(b => b.X));
        var whole = Stack(10, 2);
        Assert.Equal(whole.ToFloatArray(), Stack(3, 2).ToFloatArray());
        Assert.NotEqual(whole.ToFloatArray(), Stack(10, 3).ToFloatArray());
        Assert.NotEqual(images.ToFloatArray(), whole.ToFloatArray());
    }

    private static Tensor Concat(IEnumerable<Tensor> batches)
    {
        var all = batches.ToList();
        var values = all.SelectMany(t => t.ToFloatArray()).ToArray();
        return Tensor.FromArray(values, all[0].Shape.With(0, all.Sum(t => t.Shape[0])));
    }

    [Fact]
    public void Split_Seeded_DisjointCoveringAndReproducible()
    {
        var data = Indexed(50);
        var (train, validation) = data.Split(12, seed: 4);
        Assert.Equal(38, train.Count);
        Assert.Equal(12, validation.Count);
        Assert.Empty(train.Labels.ToArray().Intersect(validation.Labels.ToArray()));
        Assert.Equal(Enumerable.Range(0, 50), train.Labels.ToArray().Concat(validation.Labels.ToArray()).Order());
        Assert.Equal(validation.Labels.ToArray(), data.Split(12, seed: 4).Validation.Labels.ToArray());
        Assert.NotEqual(validation.Labels.ToArray(), data.Split(12, seed: 5).Validation.Labels.ToArray());
        AssertRowsMatchLabels(validation.Inputs, validation.Labels.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(51, 0));
    }

    [Fact]
    public void ClassCounts_CountsLabels()
    {
        var data = new TensorDataset(Tensor.Zeros([5, 1]), [2, 0, 2, 1, 2]);
        Assert.Equal([1, 1, 3, 0], data.ClassCounts(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.ClassCounts(2));
    }
}
