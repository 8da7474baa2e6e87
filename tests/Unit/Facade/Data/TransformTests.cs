using Cnn.Autodiff;
using Cnn.Facade.Data;

namespace Cnn.Unit.Facade.Data;

public class TransformTests
{
    private static readonly int[] Ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

    private static Tensor Batch(DType dtype = DType.Float32, int n = 12, int c = 2, int h = 5, int w = 6) =>
        Tensor.RandomUniform(Rng.Seed(42), [n, c, h, w], 0.1, 1.0, dtype);

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Normalize_PerChannel_SubtractsMeanDividesStd(DType dtype)
    {
        var x = Batch(dtype, n: 3);
        var y = new Normalize([0.5, 0.25], [2.0, 0.5]).Apply(x, Ids.AsSpan(0, 3), Rng.Seed(0));
        Assert.Equal(x.Shape, y.Shape);
        Assert.Equal(dtype, y.DType);
        double tol = dtype == DType.Float32 ? 1e-6 : 1e-15;
        for (int b = 0; b < 3; b++)
            for (int c = 0; c < 2; c++)
                for (int h = 0; h < 5; h++)
                    for (int w = 0; w < 6; w++)
                        Assert.Equal((x[b, c, h, w] - (c == 0 ? 0.5 : 0.25)) / (c == 0 ? 2.0 : 0.5), y[b, c, h, w], tol);
    }

    [Fact]
    public void Normalize_BadArguments_Throw()
    {
        var e = Assert.Throws<ArgumentException>(() => new Normalize([0.5], [0.5]).Apply(Batch(), Ids, Rng.Seed(0)));
        Assert.Contains("[B, 1, ...]", e.Message);
        Assert.Contains("[12, 2, 5, 6]", e.Message);
        Assert.Throws<ArgumentException>(() => new Normalize([0.5, 0.5], [1.0]));
        Assert.Throws<ArgumentException>(() => new Normalize([0.5], [0.0]));
    }

    [Theory]
    [InlineData(DType.Float32, 2)]
    [InlineData(DType.Float64, 3)]
    [InlineData(DType.Float32, 7)]
    public void RandomCrop_WithPadding_KeepsShapeAndIsShiftedWindow(DType dtype, int padding)
    {
        var x = Batch(dtype);
        var crop = new RandomCrop(padding);
        var rng = Rng.Seed(3);
        var y = crop.Apply(x, Ids, rng);
        Assert.Equal(x.Shape, y.Shape);
        var offsets = new HashSet<(int, int)>();
        for (int b = 0; b < 12; b++)
        {
            var (dy, dx) = crop.Offsets(rng.Fold(Ids[b]));
            Assert.InRange(dy, 0, 2 * padding);
            Assert.InRange(dx, 0, 2 * padding);
            offsets.Add((dy, dx));
            for (int c = 0; c < 2; c++)
                for (int h = 0; h < 5; h++)
                    for (int w = 0; w < 6; w++)
                    {
                        int sh = h + dy - padding, sw = w + dx - padding;
                        double expected = sh >= 0 && sh < 5 && sw >= 0 && sw < 6 ? x[b, c, sh, sw] : 0;
                        Assert.Equal(expected, y[b, c, h, w]);
                    }
        }
        Assert.True(offsets.Count > 1, "every sample got the same offset");
    }

    [Fact]
    public void RandomCrop_ZeroPadding_IsIdentity()
    {
        var x = Batch();
        Assert.Equal(x.ToFloatArray(), new RandomCrop(0).Apply(x, Ids, Rng.Seed(1)).ToFloatArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomCrop(-1));
        Assert.Throws<ArgumentException>(() => new RandomCrop(1).Apply(Tensor.Zeros([2, 3]), [0, 1], Rng.Seed(0)));
        Assert.Throws<ArgumentException>(() => new RandomCrop(1).Apply(Batch(), [0, 1], Rng.Seed(0)));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void RandomHorizontalFlip_Twice_IsIdentity_AndFlippedSamplesAreMirrored(DType dtype)
    {
        var x = Batch(dtype);
        var flip = new RandomHorizontalFlip();
        var rng = Rng.Seed(8);
        var once = flip.Apply(x, Ids, rng);
        Assert.Equal(x.ToDoubleArray(), flip.Apply(once, Ids, rng).ToDoubleArray());
        int flipped = 0;
        for (int b = 0; b < 12; b++)
        {
            bool f = flip.Flips(rng.Fold(Ids[b]));
            flipped += f ? 1 : 0;
            for (int c = 0; c < 2; c++)
                for (int h = 0; h < 5; h++)
                    for (int w = 0; w < 6; w++)
                        Assert.Equal(x[b, c, h, f ? 5 - w : w], once[b, c, h, w]);
        }
        Assert.InRange(flipped, 1, 11);
    }

    [Fact]
    public void RandomHorizontalFlip_ProbabilityZeroOrOne_KeepsOrMirrorsAll()
    {
        var x = Batch();
        Assert.Equal(x.ToFloatArray(), new RandomHorizontalFlip(0).Apply(x, Ids, Rng.Seed(1)).ToFloatArray());
        var all = new RandomHorizontalFlip(1).Apply(x, Ids, Rng.Seed(1));
        Assert.Equal(x[3, 1, 2, 0], all[3, 1, 2, 5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new RandomHorizontalFlip(1.5));
    }

    [Fact]
    public void Compose_SameKey_Deterministic_OtherKeyDiffers()
    {
        var x = Batch();
        var t = new Compose(new RandomCrop(2), new RandomHorizontalFlip(), new Normalize([0.5, 0.5], [0.25, 0.25]));
        var a = t.Apply(x, Ids, Rng.Seed(11)).ToFloatArray();
        Assert.Equal(a, t.Apply(x, Ids, Rng.Seed(11)).ToFloatArray());
        Assert.NotEqual(a, t.Apply(x, Ids, Rng.Seed(12)).ToFloatArray());
        // A sample's augmentation depends on its id, not on its position in the batch.
        var reversed = Ids.Reverse().ToArray();
        var (xr, _) = new TensorDataset(x, new int[12]).Gather(reversed);
        var b = t.Apply(xr, reversed, Rng.Seed(11));
        Assert.Equal(a.AsSpan(0, 60).ToArray(), b.ToFloatArray().AsSpan(11 * 60, 60).ToArray());
    }
}
