using Cnn.Autodiff;
using Cnn.Facade.Data;

namespace Cnn.Unit.Facade.Data;

public sealed class Cifar10Tests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Records with label (r + first) mod 10 and pixel byte k of record r = (r + 3k) mod 256.</summary>
    private static byte[] Records(int count, int first = 0)
    {
        var bytes = new byte[count * Cifar10.RecordBytes];
        for (int r = 0; r < count; r++)
        {
            bytes[r * Cifar10.RecordBytes] = (byte)((r + first) % 10);
            for (int k = 0; k < 3072; k++) bytes[r * Cifar10.RecordBytes + 1 + k] = (byte)((r + 3 * k) % 256);
        }
        return bytes;
    }

    [Fact]
    public void ReadBatch_SyntheticFile_GivesChwPixelsAndLabels()
    {
        var data = Cifar10.ReadBatch(_dir.Write("data_batch_1.bin", Records(3)));
        Assert.Equal(Shape.Create([3, 3, 32, 32]), data.Inputs.Shape);
        Assert.Equal([0, 1, 2], data.Labels.ToArray());
        foreach (var (r, c, h, w) in new[] { (0, 0, 0, 0), (1, 0, 5, 7), (2, 1, 0, 31), (2, 2, 31, 31) })
        {
            int k = c * 1024 + h * 32 + w;
            Assert.Equal((float)((r + 3 * k) % 256) / 255f, (float)data.Inputs[r, c, h, w]);
        }
    }

    [Fact]
    public void ReadBatches_TwoFiles_ConcatenatesInOrder()
    {
        var a = _dir.Write("a.bin", Records(2));
        var b = _dir.Write("b.bin", Records(3, first: 5));
        var data = Cifar10.ReadBatches(a, b);
        Assert.Equal(5, data.Count);
        Assert.Equal([0, 1, 5, 6, 7], data.Labels.ToArray());
        Assert.Equal(10, Cifar10.ClassNames.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3072)]
    [InlineData(2 * 3073 + 5)]
    public void ReadBatch_LengthNotPositiveMultipleOf3073_Throws(int length)
    {
        var path = _dir.Write("bad.bin", Records(3)[..length]);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("multiple of 3073", e.Message);
        Assert.Contains($"has {length} bytes", e.Message);
    }

    [Fact]
    public void ReadBatch_LabelAboveNine_NamesRecord()
    {
        var bytes = Records(3);
        bytes[Cifar10.RecordBytes] = 10;
        var path = _dir.Write("label.bin", bytes);
        var e = Assert.Throws<InvalidDataException>(() => Cifar10.ReadBatch(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("record 1", e.Message);
        Assert.Contains("label 10", e.Message);
    }
}
