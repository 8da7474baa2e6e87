using System.Buffers.Binary;
using System.IO.Compression;
using Cnn.Autodiff;
using Cnn.Facade.Data;

namespace Cnn.Unit.Facade.Data;

/// <summary>Builds IDX and other test files in a fresh temporary folder.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public void Dispose() => Directory.Delete(Path, recursive: true);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cnn-data-tests-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, byte[] bytes)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, bytes);
        return file;
    }

    /// <summary>An IDX file: big-endian magic, dimensions, then the payload.</summary>
    public static byte[] Idx(uint magic, uint[] dims, byte[] payload)
    {
        var bytes = new byte[4 + 4 * dims.Length + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        payload.CopyTo(bytes, 4 + 4 * dims.Length);
        return bytes;
    }

    /// <summary>n images of rows x cols with pixel k = (37 k + 11) mod 256.</summary>
    public static byte[] Images(int n, int rows, int cols) =>
        Idx(Cnn.Facade.Data.Idx.ImagesMagic, [(uint)n, (uint)rows, (uint)cols], Pattern(n * rows * cols));

    public static byte[] Labels(params byte[] labels) => Idx(Cnn.Facade.Data.Idx.LabelsMagic, [(uint)labels.Length], labels);

    public static byte[] Pattern(int n)
    {
        var p = new byte[n];
        for (int k = 0; k < n; k++) p[k] = (byte)((37 * k + 11) % 256);
        return p;
    }

    public static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }
}

public sealed class IdxTests : IDisposable
{
    private readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    private string File(string name, byte[] raw, bool gzip) => _dir.Write(name, gzip ? TempFolder.Gzip(raw) : raw);

    private static InvalidDataException Fails(Action read, string path, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(read);
        Assert.Contains(path, e.Message);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_RawOrGzip_RoundTripsToScaledFloats(bool gzip)
    {
        var path = File("img", TempFolder.Images(3, 2, 5), gzip);
        var x = Idx.ReadImages(path);
        Assert.Equal(DType.Float32, x.DType);
        Assert.Equal(Shape.Create([3, 1, 2, 5]), x.Shape);
        var expected = TempFolder.Pattern(30);
        var values = x.Span<float>();
        for (int k = 0; k < 30; k++) Assert.Equal(expected[k] / 255f, values[k]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadLabels_RawOrGzip_RoundTrips(bool gzip)
    {
        var path = File("lab", TempFolder.Labels(0, 9, 3, 255, 7), gzip);
        Assert.Equal([0, 9, 3, 255, 7], Idx.ReadLabels(path));
    }

    [Fact]
    public void ReadImages_ZeroImages_GivesEmptyBatch()
    {
        var x = Idx.ReadImages(File("empty", TempFolder.Images(0, 28, 28), gzip: true));
        Assert.Equal(Shape.Create([0, 1, 28, 28]), x.Shape);
    }

    [Fact]
    public void Load_MatchingFiles_PairsImagesAndLabels()
    {
        var data = Idx.Load(File("i", TempFolder.Images(3, 2, 2), true), File("l", TempFolder.Labels(4, 5, 6), false));
        Assert.Equal(3, data.Count);
        Assert.Equal([4, 5, 6], data.Labels.ToArray());
    }

    [Fact]
    public void Load_CountMismatch_NamesBothFiles()
    {
        var images = File("i", TempFolder.Images(3, 2, 2), true);
        var labels = File("l", TempFolder.Labels(4, 5), true);
        var e = Fails(() => Idx.Load(images, labels), images, "3 images", "2 labels");
        Assert.Contains(labels, e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TruncatedPayload_Throws(bool gzip)
    {
        var raw = TempFolder.Images(4, 3, 3);
        var path = File("trunc", raw[..^5], gzip);
        Fails(() => Idx.ReadImages(path), path, "truncated", "[4 x 3 x 3]");
    }

    [Fact]
    public void ReadImages_TruncatedCompressedBytes_Throws()
    {
        var gz = TempFolder.Gzip(TempFolder.Images(40, 8, 8));
        var path = _dir.Write("cut.gz", gz[..(gz.Length / 2)]);
        Fails(() => Idx.ReadImages(path), path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(10)]
    public void ReadImages_TruncatedHeader_Throws(int length)
    {
        var path = File("head", TempFolder.Images(2, 2, 2)[..length], gzip: false);
        Fails(() => Idx.ReadImages(path), path, "16-byte header", "truncated");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_LabelsFile_ReportsWrongMagic(bool gzip)
    {
        var path = File("labels-as-images", TempFolder.Labels(1, 2, 3), gzip);
        Fails(() => Idx.ReadImages(path), path, "expected magic 0x00000803", "found 0x00000801", "labels file");
    }

    [Fact]
    public void ReadLabels_ImagesFile_ReportsWrongMagic()
    {
        var path = File("images-as-labels", TempFolder.Images(1, 2, 2), gzip: true);
        Fails(() => Idx.ReadLabels(path), path, "expected magic 0x00000801", "found 0x00000803");
    }

    [Fact]
    public void ReadImages_NotIdx_ReportsMagic()
    {
        var path = File("png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0], gzip: false);
        Fails(() => Idx.ReadImages(path), path, "expected magic 0x00000803", "found 0x89504E47");
    }

    [Fact]
    public void ReadImages_FloatElements_ReportsDTypeCode()
    {
        var path = File("float", TempFolder.Idx(0x00000D03, [1, 1, 1], [0, 0, 0, 0]), gzip: false);
        Fails(() => Idx.ReadImages(path), path, "0x08 (unsigned byte)", "0x0D (float32)");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TwoToThe31Images_RejectedBeforeAllocating(bool gzip)
    {
        var path = File("huge", TempFolder.Idx(Idx.ImagesMagic, [0x80000000, 28, 28], new byte[64]), gzip);
        Fails(() => Idx.ReadImages(path), path, "2147483648, 28, 28", "corrupt");
    }

    [Fact]
    public void ReadImages_DimensionProductOverflows_RejectedBeforeAllocating()
    {
        var path = File("overflow", TempFolder.Idx(Idx.ImagesMagic, [65536, 65536, 65536], new byte[64]), gzip: false);
        Fails(() => Idx.ReadImages(path), path, "65536, 65536, 65536");
    }

    [Fact]
    public void ReadImages_GzipHeaderBeyondWhatStreamCanHold_RejectedBeforeAllocating()
    {
        // 100,000 x 28 x 28 = 78 MB cannot come out of a gzip file of a few dozen bytes.
        var path = File("implausible", TempFolder.Idx(Idx.ImagesMagic, [100_000, 28, 28], new byte[10]), gzip: true);
        Fails(() => Idx.ReadImages(path), path, "78400000 elements", "decompresses to at most");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadImages_TrailingData_Throws(bool gzip)
    {
        var path = File("trailing", [.. TempFolder.Images(2, 2, 2), 1, 2, 3], gzip);
        Fails(() => Idx.ReadImages(path), path, "trailing data");
    }

    [Fact]
    public void ReadImages_NonSeekableStream_AsksForSeekable()
    {
        using var pipe = new NonSeekable(TempFolder.Images(1, 1, 1));
        var e = Assert.Throws<ArgumentException>(() => Idx.ReadImages(pipe, "pipe"));
        Assert.Contains("seekable", e.Message);
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
