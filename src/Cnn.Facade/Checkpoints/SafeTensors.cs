using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using Cnn.Autodiff;

namespace Cnn.Facade.Checkpoints;

/// <summary>The tensors of one safetensors file, in header order, and its <c>__metadata__</c> strings.</summary>
public sealed record SafeTensorsContent(ParamTree<Tensor> Tensors, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
/// <c>{"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}</c>,
/// then the data buffer. Offsets are relative to the start of the buffer; each tensor is contiguous,
/// row-major and little-endian.
/// </summary>
/// <remarks>
/// Writing: F32 and F64 tensors in tree order, packed with no gaps; the header is padded with spaces so the
/// buffer starts at a multiple of 8 bytes. Reading: F32 and F64 as they are, F16 and BF16 converted to float32,
/// I64 converted to float64 (for PyTorch's <c>num_batches_tracked</c> counters). Every other dtype is an error.
/// A file is checked completely (header length against file length, JSON, each entry's dtype, shape and offsets,
/// and that the tensors tile the buffer exactly, as the reference implementation requires) before any tensor
/// is allocated; every problem is an <see cref="InvalidDataException"/> naming the file, the tensor, what was
/// expected and what was found.
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted, in bytes (as in the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";
    private const long MaxExactInt64 = 1L << 53;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile.Write"/>).</summary>
    public static void Write(string path, ParamTree<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = Header(tensors, metadata);
        AtomicFile.Write(path, stream => WriteBody(stream, header, tensors));
    }

    /// <summary>Writes <paramref name="tensors"/> as a safetensors file to <paramref name="stream"/> at its current position.</summary>
    public static void Write(Stream stream, ParamTree<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        WriteBody(stream, Header(tensors, metadata), tensors);
    }

    /// <summary>Reads the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file, or holds a dtype this reader does not read.</exception>
    public static SafeTensorsContent Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads a safetensors file from a seekable <paramref name="stream"/>, from its current position to its end;
    /// <paramref name="source"/> names it in error messages.
    /// </summary>
    /// <exception cref="InvalidDataException">The data are not a well-formed safetensors file, or hold a dtype this reader does not read.</exception>
    public static SafeTensorsContent Read(Stream stream, string source)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException($"SafeTensors.Read needs a readable, seekable stream for {source}; copy it into a MemoryStream first.", nameof(stream));
        RequireLittleEndian();
        long start = stream.Position, length = stream.Length - start;
        if (length < 8)
            throw Invalid(source, $"is {length} bytes long, shorter than the 8-byte header length every safetensors file starts with; it is truncated or not a safetensors file");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (n > MaxHeaderBytes)
            throw Invalid(source, $"claims a header of {n} bytes, more than the {MaxHeaderBytes} allowed; it is corrupt or not a safetensors file");
        if ((long)n > length - 8)
            throw Invalid(source, $"claims a header of {n} bytes but only {length - 8} bytes follow the length field; it is truncated or not a safetensors file");
        var headerBytes = new byte[n];
        stream.ReadExactly(headerBytes);
        long bufferLength = length - 8 - (long)n;
        var (entries, metadata) = ParseHeader(headerBytes, source, bufferLength);

        long dataStart = start + 8 + (long)n;
        var items = ImmutableArray.CreateBuilder<KeyValuePair<string, Tensor>>(entries.Count);
        foreach (var e in entries)
        {
            stream.Position = dataStart + e.Begin;
            items.Add(KeyValuePair.Create(e.Name, ReadTensor(stream, e, source)));
        }
        return new SafeTensorsContent(ParamTree.FromPairs(items.MoveToImmutable()), metadata);
    }

    /// <summary>One validated header entry; <see cref="Count"/> elements of <see cref="DType"/> at [Begin, End) of the buffer.</summary>
    private readonly record struct Entry(string Name, string DType, int[] Shape, int Count, long Begin, long End);

    private static byte[] Header(ParamTree<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();
        var json = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(json))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                {
                    if (key is null || value is null)
                        throw new ArgumentException("SafeTensors.Write: metadata keys and values must not be null.", nameof(metadata));
                    w.WriteString(key, value);
                }
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, t) in tensors)
            {
                if (name == MetadataKey)
                    throw new ArgumentException($"SafeTensors.Write: '{MetadataKey}' is reserved for the metadata and cannot name a tensor; rename it.", nameof(tensors));
                long bytes = (long)t.Size * ItemSize(t.DType);
                w.WriteStartObject(name);
                w.WriteString("dtype", t.DType == DType.Float32 ? "F32" : "F64");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(offset + bytes);
                w.WriteEndArray();
                w.WriteEndObject();
                offset += bytes;
            }
            w.WriteEndObject();
        }
        // NOTE: the header is padded with spaces so that 8 + N, where the buffer starts, is a multiple of 8.
        int pad = (int)((8 - (8 + json.WrittenCount) % 8) % 8);
        var header = new byte[json.WrittenCount + pad];
        json.WrittenSpan.CopyTo(header);
        header.AsSpan(json.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteBody(Stream stream, byte[] header, ParamTree<Tensor> tensors)
    {
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var (_, t) in tensors)
        {
            if (t.DType == DType.Float32) stream.Write(MemoryMarshal.AsBytes(t.Span<float>()));
            else stream.Write(MemoryMarshal.AsBytes(t.Span<double>()));
        }
    }

    private static (List<Entry> Entries, IReadOnlyDictionary<string, string> Metadata) ParseHeader(byte[] header, string source, long bufferLength)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
            throw Invalid(source, $"has a header that does not start with '{{' (first byte {(header.Length == 0 ? "none: the header is empty" : $"0x{header[0]:X2}")}); it is not a safetensors file");
        // NOTE: JsonDocument checks the structure but leaves the UTF-8 of names and strings to be found when
        // they are read (as an InvalidOperationException), so the encoding is checked here first.
        if (!Utf8.IsValid(header))
            throw Invalid(source, $"has a header that is not valid UTF-8 (first bad byte at header offset {FirstInvalidUtf8(header)}); it is corrupt");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"{source}: the header is not well-formed JSON: {ex.Message}", ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(source, $"has a header that is a JSON {doc.RootElement.ValueKind}, not an object of tensors");
            var entries = new List<Entry>();
            var metadata = ImmutableDictionary<string, string>.Empty;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(p.Name))
                    throw Invalid(source, $"names '{p.Name}' twice in its header");
                if (p.Name == MetadataKey) metadata = ParseMetadata(p.Value, source);
                else entries.Add(ParseEntry(p, source, bufferLength));
            }
            CheckLayout(entries, source, bufferLength);
            return (entries, metadata);
        }
    }

    private static int FirstInvalidUtf8(byte[] bytes)
    {
        Utf8.ToUtf16(bytes, new char[bytes.Length], out int read, out _, replaceInvalidSequences: false);
        return read;
    }

    private static ImmutableDictionary<string, string> ParseMetadata(JsonElement value, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"has {MetadataKey} as a JSON {value.ValueKind}; expected an object of strings");
        var b = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Invalid(source, $"has {MetadataKey} entry '{p.Name}' as a JSON {p.Value.ValueKind}; expected a string");
            if (!b.TryAdd(p.Name, p.Value.GetString()!))
                throw Invalid(source, $"names {MetadataKey} entry '{p.Name}' twice");
        }
        return b.ToImmutable();
    }

    private static Entry ParseEntry(JsonProperty p, string source, long bufferLength)
    {
        string name = p.Name;
        if (name.Length == 0)
            throw Invalid(source, "has a tensor with an empty name");
        if (p.Value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"has tensor '{name}' as a JSON {p.Value.ValueKind}; expected an object with dtype, shape and data_offsets");
        string? dtype = null;
        int[]? shape = null;
        ulong[]? offsets = null;
        foreach (var f in p.Value.EnumerateObject())
        {
            switch (f.Name)
            {
                case "dtype" when f.Value.ValueKind == JsonValueKind.String && dtype is null:
                    dtype = f.Value.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = Integers(f.Value, name, "shape", source, (JsonElement e, out int v) => e.TryGetInt32(out v) && v >= 0, "non-negative 32-bit integers");
                    break;
                case "data_offsets" when offsets is null:
                    offsets = Integers(f.Value, name, "data_offsets", source, (JsonElement e, out ulong v) => e.TryGetUInt64(out v), "non-negative integers");
                    if (offsets.Length != 2)
                        throw Invalid(source, $"tensor '{name}': data_offsets must be [begin, end] but has {offsets.Length} numbers");
                    break;
                case "dtype" or "shape" or "data_offsets":
                    throw Invalid(source, $"tensor '{name}': field '{f.Name}' is repeated or has the wrong JSON type ({f.Value.ValueKind})");
                default:
                    throw Invalid(source, $"tensor '{name}': unexpected field '{f.Name}'; expected only dtype, shape and data_offsets");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw Invalid(source, $"tensor '{name}' lacks {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}; every tensor needs dtype, shape and data_offsets");

        int itemSize = dtype switch
        {
            "F32" => 4,
            "F64" or "I64" => 8,
            "F16" or "BF16" => 2,
            _ => throw Invalid(source, $"tensor '{name}' has dtype {dtype}, which this reader does not read; it reads F32, F64, F16 and BF16 (as float32) and I64 (as float64)"),
        };
        long count = 1;
        try
        {
            foreach (var d in shape) count = checked(count * d);
        }
        catch (OverflowException)
        {
            throw Invalid(source, $"tensor '{name}' has shape [{string.Join(", ", shape)}], whose element count overflows a 64-bit integer");
        }
        if (count > int.MaxValue)
            throw Invalid(source, $"tensor '{name}' has shape [{string.Join(", ", shape)}] with {count} elements, more than a tensor can hold (2^31 - 1)");
        long bytes = count * itemSize;
        ulong begin = offsets[0], end = offsets[1];
        if (end < begin)
            throw Invalid(source, $"tensor '{name}' has data_offsets [{begin}, {end}] that end before they begin");
        if (end - begin != (ulong)bytes)
            throw Invalid(source, $"tensor '{name}' has dtype {dtype} and shape [{string.Join(", ", shape)}], so needs {bytes} bytes, but its data_offsets [{begin}, {end}] span {end - begin} bytes");
        if (end > (ulong)bufferLength)
            throw Invalid(source, $"tensor '{name}' has data_offsets [{begin}, {end}] past the end of the data buffer ({bufferLength} bytes); the file is truncated or the offsets are wrong");
        return new Entry(name, dtype, shape, (int)count, (long)begin, (long)end);
    }

    private delegate bool TryInteger<T>(JsonElement e, out T value);

    private static T[] Integers<T>(JsonElement array, string tensor, string field, string source, TryInteger<T> parse, string what)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"tensor '{tensor}': {field} must be an array of {what} but is a JSON {array.ValueKind}");
        var values = new T[array.GetArrayLength()];
        int i = 0;
        foreach (var e in array.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !parse(e, out values[i]))
                throw Invalid(source, $"tensor '{tensor}': {field} must be an array of {what} but element {i} is {e.GetRawText()}");
            i++;
        }
        return values;
    }

    /// <summary>Checks that the tensors tile [0, bufferLength) exactly: no overlaps, no gaps, nothing left over.</summary>
    private static void CheckLayout(List<Entry> entries, string source, long bufferLength)
    {
        var sorted = entries.ToArray();
        Array.Sort(sorted, (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        string? previous = null;
        foreach (var e in sorted)
        {
            if (e.Begin < covered)
                throw Invalid(source, $"tensor '{e.Name}' at bytes [{e.Begin}, {e.End}) overlaps tensor '{previous}', which ends at byte {covered}");
            if (e.Begin > covered)
                throw Invalid(source, $"bytes [{covered}, {e.Begin}) of the data buffer, before tensor '{e.Name}', belong to no tensor; the offsets are wrong");
            covered = e.End;
            previous = e.Name;
        }
        if (covered != bufferLength)
            throw Invalid(source, $"the tensors cover {covered} bytes of the data buffer but it holds {bufferLength}; {bufferLength - covered} trailing bytes belong to no tensor");
    }

    private static Tensor ReadTensor(Stream stream, Entry e, string source)
    {
        switch (e.DType)
        {
            case "F32":
            {
                var f = new float[e.Count];
                stream.ReadExactly(MemoryMarshal.AsBytes(f.AsSpan()));
                return Tensor.FromArray(f, e.Shape);
            }
            case "F64":
            {
                var d = new double[e.Count];
                stream.ReadExactly(MemoryMarshal.AsBytes(d.AsSpan()));
                return Tensor.FromArray(d, e.Shape);
            }
            case "I64":
            {
                var l = new long[e.Count];
                stream.ReadExactly(MemoryMarshal.AsBytes(l.AsSpan()));
                var d = new double[e.Count];
                for (int i = 0; i < l.Length; i++)
                {
                    if (l[i] > MaxExactInt64 || l[i] < -MaxExactInt64)
                        throw Invalid(source, $"tensor '{e.Name}' (I64) holds {l[i]} at element {i}, which float64 cannot represent exactly (|v| must be at most 2^53)");
                    d[i] = l[i];
                }
                return Tensor.FromArray(d, e.Shape);
            }
            default:
            {
                var h = new ushort[e.Count];
                stream.ReadExactly(MemoryMarshal.AsBytes(h.AsSpan()));
                var f = new float[e.Count];
                if (e.DType == "F16")
                    for (int i = 0; i < h.Length; i++) f[i] = (float)BitConverter.UInt16BitsToHalf(h[i]);
                else
                    for (int i = 0; i < h.Length; i++) f[i] = BitConverter.UInt32BitsToSingle((uint)h[i] << 16);
                return Tensor.FromArray(f, e.Shape);
            }
        }
    }

    private static int ItemSize(DType dtype) => dtype == DType.Float32 ? 4 : 8;

    private static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("SafeTensors reads and writes tensor bytes in place, which needs a little-endian machine.");
    }

    private static InvalidDataException Invalid(string source, string problem) => new($"{source}: {problem}.");
}
