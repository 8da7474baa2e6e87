using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Layers;

namespace Cnn.Unit.Facade.Plots;

/// <summary>A PNG read back by a small decoder for what <see cref="Png"/> writes (8-bit, filter None).</summary>
internal sealed record DecodedPng(int Width, int Height, int Channels, byte[] Pixels, string[] ChunkTypes)
{
    public static DecodedPng Decode(byte[] file)
    {
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, file[..8]);
        int pos = 8, width = 0, height = 0, channels = 0;
        var idat = new MemoryStream();
        var types = new List<string>();
        while (pos < file.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            var typeAndData = file.AsSpan(pos + 4, 4 + length);
            var type = Encoding.ASCII.GetString(typeAndData[..4]);
            var data = typeAndData[4..];
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos + 8 + length));
            Assert.Equal(Crc32.Compute(typeAndData), crc);
            types.Add(type);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(data);
                height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 0 => 1, 2 => 3, var t => throw new InvalidDataException($"colour type {t}") };
                Assert.Equal(0, data[10] + data[11] + data[12]);
            }
            if (type == "IDAT") idat.Write(data);
            pos += 12 + length;
        }
        idat.Position = 0;
        var raw = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionMode.Decompress)) z.CopyTo(raw);
        var scan = raw.ToArray();
        int stride = width * channels;
        Assert.Equal(height * (stride + 1), scan.Length);
        var pixels = new byte[height * stride];
        for (int y = 0; y < height; y++)
        {
            Assert.Equal(0, scan[y * (stride + 1)]);
            scan.AsSpan(y * (stride + 1) + 1, stride).CopyTo(pixels.AsSpan(y * stride));
        }
        return new DecodedPng(width, height, channels, pixels, types.ToArray());
    }
}

public class PngTests
{
    [Fact]
    public void Crc32_StandardCheckValue_IsCbf43926()
    {
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0u, Crc32.Compute([]));
        Assert.Equal(Crc32.Compute("123456789"u8), Crc32.Append(Crc32.Compute("1234"u8), "56789"u8));
    }

    [Fact]
    public void Crc32_IendChunk_MatchesTheValueInEveryPng() =>
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 3, 1)]
    [InlineData(5, 4, 3)]
    [InlineData(33, 17, 3)]
    public void Encode_RandomPixels_DecodesToTheSamePixels(int width, int height, int channels)
    {
        var rnd = new Random(width * 100 + height);
        var pixels = new byte[width * height * channels];
        rnd.NextBytes(pixels);
        var png = DecodedPng.Decode(Png.Encode(pixels, width, height, channels));
        Assert.Equal(["IHDR", "IDAT", "IEND"], png.ChunkTypes);
        Assert.Equal((width, height, channels), (png.Width, png.Height, png.Channels));
        Assert.Equal(pixels, png.Pixels);
    }

    [Fact]
    public void Encode_WrongPixelCount_ThrowsWithExpectedSize()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.Encode(new byte[10], 2, 2, 3));
        Assert.Contains("2 x 2 x 3 = 12 bytes but got 10", e.Message);
        Assert.Throws<ArgumentException>(() => Png.Encode(new byte[8], 2, 2, 2));
    }

    [Fact]
    public void Grid_TwoTiles_EachNormalisedToItsOwnRangeAndPlaced()
    {
        // Tile 0: 0..3, tile 1: 10..40; 2x2 each, scale 2, gap 1, two columns.
        var tiles = Tensor.FromArray(new float[] { 0, 1, 2, 3, 10, 20, 30, 40 }, [2, 1, 2, 2]);
        var c = Canvas.Grid(tiles, columns: 2, scale: 2, gap: 1);
        Assert.Equal((1 + 2 * (4 + 1), 1 + 4 + 1), (c.Width, c.Height));
        byte At(int x, int y) => c.Pixels[y * c.Width + x];
        Assert.Equal(255, At(0, 0));                       // gap
        Assert.Equal(0, At(1, 1));                         // tile 0 min, scaled block
        Assert.Equal(0, At(2, 2));
        Assert.Equal(85, At(3, 1));                        // 255 * 1/3
        Assert.Equal(255, At(4, 4));                       // tile 0 max
        Assert.Equal(0, At(6, 1));                         // tile 1 min (10)
        Assert.Equal(255, At(9, 4));                       // tile 1 max (40)
    }

    [Fact]
    public void Grid_ConstantTile_IsMidGrey()
    {
        var c = Canvas.Grid(Tensor.Full([1, 1, 2, 2], 5.0), columns: 1, gap: 0);
        Assert.All(c.Pixels, p => Assert.Equal(128, p));
    }

    [Fact]
    public void FiltersToPng_ThirtyTwoGrayFilters_SixBySixGridOfScaledTiles()
    {
        var w = new Conv2d(1, 32, 3).Init(Rng.Seed(1))["weight"];
        var png = DecodedPng.Decode(Filters.ToPng(w, scale: 8));
        Assert.Equal(1, png.Channels);
        Assert.Equal(4 + 6 * (24 + 4), png.Width);
        Assert.Equal(4 + 6 * (24 + 4), png.Height);
        // Filter 0 sits at (4, 4); its smallest weight is black and its largest white.
        var f = w.ToDoubleArray()[..9];
        int argmin = Array.IndexOf(f, f.Min()), argmax = Array.IndexOf(f, f.Max());
        Assert.Equal(0, png.Pixels[(4 + 8 * (argmin / 3)) * png.Width + 4 + 8 * (argmin % 3)]);
        Assert.Equal(255, png.Pixels[(4 + 8 * (argmax / 3) + 7) * png.Width + 4 + 8 * (argmax % 3) + 7]);
    }

    [Fact]
    public void FiltersToPng_ThreeInputChannels_RgbTiles()
    {
        var w = new Conv2d(3, 4, 5).Init(Rng.Seed(2))["weight"];
        var png = DecodedPng.Decode(Filters.ToPng(w, scale: 2));
        Assert.Equal(3, png.Channels);
        Assert.Equal(4 + 2 * (10 + 4), png.Width);
    }

    [Fact]
    public void FeatureMaps_FirstTwoLayers_EqualConvThenRelu()
    {
        var net = new Sequential(new Conv2d(1, 3, 3), new ReLU(), new MaxPool2d(2));
        var p = net.Init(Rng.Seed(3));
        var x = Tensor.RandomNormal(Rng.Seed(4), [1, 1, 6, 6]);
        var maps = Filters.FeatureMaps(net, p, x, 2);
        var expected = Op.Relu(Op.Conv2d(x, p["0.weight"], p["0.bias"])).Value;
        Assert.True(expected.AllClose(maps));
        var png = DecodedPng.Decode(Filters.FeatureMapsToPng(maps, scale: 1));
        Assert.Equal(2 + 2 * (4 + 2), png.Width);    // 3 maps: 2 columns, 2 rows
        Assert.Throws<ArgumentOutOfRangeException>(() => Filters.FeatureMaps(net, p, x, 4));
        Assert.Throws<ArgumentException>(() => Filters.FeatureMapsToPng(Tensor.Zeros([2, 3, 4, 4])));
    }
}
