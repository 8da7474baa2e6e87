using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Cnn.Facade;

/// <summary>
/// A minimal PNG encoder: 8-bit grayscale (1 channel) or RGB (3 channels), non-interlaced, every
/// scanline with filter type 0 (None), one zlib-compressed IDAT chunk.
/// </summary>
public static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes row-major pixels as a PNG file.</summary>
    /// <param name="pixels">[height, width, channels] bytes, top row first.</param>
    /// <param name="channels">1 (grayscale) or 3 (RGB).</param>
    public static byte[] Encode(ReadOnlySpan<byte> pixels, int width, int height, int channels)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"Png.Encode expects 1 (grayscale) or 3 (RGB) channels but got {channels}.", nameof(channels));
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Png.Encode expects a positive width and height but got {width} x {height}.");
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"Png.Encode expects {width} x {height} x {channels} = {(long)width * height * channels} bytes but got {pixels.Length}: pass [height, width, channels] pixels.", nameof(pixels));

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(0), width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;                                // bit depth
        ihdr[9] = (byte)(channels == 1 ? 0 : 2);    // colour type: grayscale or truecolour
        // compression 0 (deflate), filter method 0, interlace 0 (none)

        int stride = width * channels;
        var raw = new byte[(long)height * (stride + 1)];
        for (int y = 0; y < height; y++)
            pixels.Slice(y * stride, stride).CopyTo(raw.AsSpan(y * (stride + 1) + 1));   // filter byte 0 = None

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            z.Write(raw);

        using var file = new MemoryStream();
        file.Write(Signature);
        WriteChunk(file, "IHDR", ihdr);
        WriteChunk(file, "IDAT", compressed.ToArray());
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    /// <summary>Encodes and writes the PNG to <paramref name="path"/>.</summary>
    public static void Write(string path, ReadOnlySpan<byte> pixels, int width, int height, int channels) =>
        File.WriteAllBytes(path, Encode(pixels, width, height, channels));

    /// <summary>Encodes a <see cref="Canvas"/>.</summary>
    public static byte[] Encode(Canvas canvas) => Encode(canvas.Pixels, canvas.Width, canvas.Height, canvas.Channels);

    // A chunk is: data length (big-endian), 4-byte type, data, CRC-32 of type and data.
    private static void WriteChunk(Stream s, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        s.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data));
        s.Write(word);
    }
}
