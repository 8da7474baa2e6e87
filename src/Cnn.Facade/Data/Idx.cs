using System.Buffers.Binary;
using System.IO.Compression;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Cnn.Autodiff;

namespace Cnn.Facade.Data;

/// <summary>
/// Reads the IDX format of MNIST and Fashion-MNIST: a big-endian header (magic <c>00 00 dtype ndim</c>, then
/// <c>ndim</c> unsigned 32-bit dimensions) followed by the elements. Only unsigned-byte element data (dtype
/// code 0x08) is read: images (magic 0x00000803, dims [N, rows, cols]) and labels (magic 0x00000801, dims [N]).
/// A file may be raw or gzip-compressed; gzip is recognised by its magic bytes 1F 8B, not by the file name.
/// </summary>
/// <remarks>
/// Every header field is checked before anything is allocated. A raw file must be exactly as long as its header
/// says. A gzip file's decompressed length is not known up front, so its header must be plausible: the payload
/// may not exceed <see cref="Array.MaxLength"/> elements nor what the compressed bytes can expand to (a deflate
/// stream expands at most 1032-fold), and the stream must then deliver exactly the payload. Every malformed file
/// gives an <see cref="InvalidDataException"/> whose message names the file, what was expected and what was found.
/// </remarks>
public static class Idx
{
    /// <summary>The IDX magic number of an unsigned-byte 3-dimensional array (images).</summary>
    public const uint ImagesMagic = 0x00000803;

    /// <summary>The IDX magic number of an unsigned-byte 1-dimensional array (labels).</summary>
    public const uint LabelsMagic = 0x00000801;

    // NOTE: zlib's documented bound: deflate cannot expand its input more than 1032-fold.
    private const long MaxDeflateRatio = 1032;

    /// <summary>
    /// Reads an IDX images file into a float32 tensor [N, 1, rows, cols] with values <c>byte / 255</c> in [0, 1]
    /// (as torchvision's ToTensor does).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed unsigned-byte 3-dimensional IDX file.</exception>
    public static Tensor ReadImages(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadImages(stream, path);
    }

    /// <summary>Reads IDX images (raw or gzip) from the rest of a seekable stream; <paramref name="name"/> names it in errors.</summary>
    /// <returns>float32 [N, 1, rows, cols] in [0, 1].</returns>
    /// <exception cref="InvalidDataException">The stream is not a well-formed unsigned-byte 3-dimensional IDX file.</exception>
    public static Tensor ReadImages(Stream stream, string name)
    {
        var (pixels, dims) = ReadPayload(stream, name, "images", ImagesMagic);
        var values = new float[pixels.Length];
        TensorPrimitives.ConvertTruncating<byte, float>(pixels, values);
        TensorPrimitives.Divide(values, 255f, values);
        return Tensor.FromArray(values, [dims[0], 1, dims[1], dims[2]]);
    }

    /// <summary>Reads an IDX labels file: one class index (0..255) per sample.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed unsigned-byte 1-dimensional IDX file.</exception>
    public static int[] ReadLabels(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadLabels(stream, path);
    }

    /// <summary>Reads IDX labels (raw or gzip) from the rest of a seekable stream; <paramref name="name"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The stream is not a well-formed unsigned-byte 1-dimensional IDX file.</exception>
    public static int[] ReadLabels(Stream stream, string name)
    {
        var (bytes, _) = ReadPayload(stream, name, "labels", LabelsMagic);
        var labels = new int[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) labels[i] = bytes[i];
        return labels;
    }

    /// <summary>
    /// Reads an images file and its labels file into a dataset: images [N, 1, rows, cols] in [0, 1] and N labels.
    /// </summary>
    /// <exception cref="InvalidDataException">Either file is malformed, or the two files hold different numbers of samples.</exception>
    public static TensorDataset Load(string imagesPath, string labelsPath)
    {
        var images = ReadImages(imagesPath);
        var labels = ReadLabels(labelsPath);
        if (images.Shape[0] != labels.Length)
            throw new InvalidDataException(
                $"IDX images file '{imagesPath}' holds {images.Shape[0]} images but labels file '{labelsPath}' holds {labels.Length} labels: "
                + "expected one label per image; the two files probably come from different splits.");
        return new TensorDataset(images, labels);
    }

    /// <summary>
    /// Validates the header against <paramref name="magic"/> and the stream's length, then reads exactly the payload.
    /// Returns the payload bytes and the dimensions.
    /// </summary>
    private static (byte[] Payload, int[] Dims) ReadPayload(Stream stream, string name, string kind, uint magic)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException($"Idx.Read{char.ToUpperInvariant(kind[0])}{kind[1..]} needs a seekable stream to check '{name}' against its length; copy it to a MemoryStream or a file first.", nameof(stream));
        string what = $"IDX {kind} file '{name}'";
        long start = stream.Position, length = stream.Length - start;
        Span<byte> head = stackalloc byte[2];
        bool gzip = stream.ReadAtLeast(head, 2, throwOnEndOfStream: false) == 2 && head[0] == 0x1F && head[1] == 0x8B;
        stream.Position = start;
        try
        {
            using var source = gzip ? new GZipStream(stream, CompressionMode.Decompress, leaveOpen: true) : null;
            return ReadValidated(source ?? stream, what, magic, gzip, length);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(what, StringComparison.Ordinal))
        {
            // The decompressor's own errors do not name the file.
            throw new InvalidDataException($"{what}: expected a valid gzip stream but decompression failed: {e.Message}", e);
        }
    }

    private static (byte[] Payload, int[] Dims) ReadValidated(Stream source, string what, uint magic, bool gzip, long length)
    {
        int rank = (int)(magic & 0xFF);
        int headerBytes = 4 + 4 * rank;
        Span<byte> header = stackalloc byte[headerBytes];
        int got = source.ReadAtLeast(header, headerBytes, throwOnEndOfStream: false);
        if (got < 4)
            throw new InvalidDataException($"{what}: expected a {headerBytes}-byte header but the {(gzip ? "decompressed stream" : "file")} ends after {got} bytes (truncated or empty).");

        uint found = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (found >> 16 != 0)
            throw new InvalidDataException($"{what}: expected magic 0x{magic:X8} but found 0x{found:X8}; the first two bytes of an IDX file are zero (is this an IDX file?).");
        uint dtype = (found >> 8) & 0xFF;
        if (dtype != 0x08)
            throw new InvalidDataException($"{what}: expected element type code 0x08 (unsigned byte) but found 0x{dtype:X2}{DTypeName(dtype)}; only unsigned-byte IDX data is supported.");
        if (found != magic)
            throw new InvalidDataException($"{what}: expected magic 0x{magic:X8} ({Dimensions((uint)rank)}) but found 0x{found:X8} ({Dimensions(found & 0xFF)}); is this the {(magic == ImagesMagic ? "labels" : "images")} file?");
        if (got < headerBytes)
            throw new InvalidDataException($"{what}: expected a {headerBytes}-byte header but the {(gzip ? "decompressed stream" : "file")} ends after {got} bytes (truncated).");

        var dims = new int[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            uint d = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * i)..]);
            if (d > Array.MaxLength || (d != 0 && elements > Array.MaxLength / d))
                throw new InvalidDataException($"{what}: expected at most {Array.MaxLength} elements in all but the header declares dimensions [{DimsText(header, rank)}]; the header is corrupt.");
            dims[i] = (int)d;
            elements *= d;
        }

        if (!gzip && headerBytes + elements != length)
            throw new InvalidDataException($"{what}: expected {headerBytes + elements} bytes ({headerBytes}-byte header + [{string.Join(" x ", dims)}] elements) but the file has {length} bytes ({(length < headerBytes + elements ? "truncated" : "trailing data")}).");
        if (gzip && elements > length * MaxDeflateRatio)
            throw new InvalidDataException($"{what}: the header declares [{string.Join(" x ", dims)}] = {elements} elements but a {length}-byte gzip stream decompresses to at most {length * MaxDeflateRatio} bytes; the header is corrupt or the file truncated.");

        var payload = new byte[elements];
        int read = source.ReadAtLeast(payload, payload.Length, throwOnEndOfStream: false);
        if (read < payload.Length)
            throw new InvalidDataException($"{what}: expected {payload.Length} data bytes after the header ([{string.Join(" x ", dims)}]) but the decompressed stream ends after {read} (truncated).");
        if (gzip && source.ReadByte() >= 0)
            throw new InvalidDataException($"{what}: expected the decompressed stream to end after {headerBytes + elements} bytes ([{string.Join(" x ", dims)}]) but it holds more (trailing data).");
        return (payload, dims);
    }

    private static string DimsText(ReadOnlySpan<byte> header, int rank)
    {
        var parts = new string[rank];
        for (int i = 0; i < rank; i++) parts[i] = BinaryPrimitives.ReadUInt32BigEndian(header[(4 + 4 * i)..]).ToString();
        return string.Join(", ", parts);
    }

    private static string Dimensions(uint rank) => rank == 1 ? "1 dimension" : $"{rank} dimensions";

    private static string DTypeName(uint code) => code switch
    {
        0x09 => " (signed byte)",
        0x0B => " (int16)",
        0x0C => " (int32)",
        0x0D => " (float32)",
        0x0E => " (float64)",
        _ => " (not an IDX type code)",
    };
}
