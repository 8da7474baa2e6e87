using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;

namespace Cnn.Fuzz;

/// <summary>What reading one mutated file did.</summary>
public enum Outcome
{
    /// <summary>The reader returned a value.</summary>
    Read,

    /// <summary>The reader threw <see cref="InvalidDataException"/>, the documented failure.</summary>
    InvalidData,

    /// <summary>The reader threw anything else: a bug.</summary>
    OtherException,

    /// <summary>The reader allocated more than the bound for the file's length: a bug.</summary>
    OverAllocated,
}

/// <summary>The result of reading one mutated file: the outcome, the mutation applied and the exception, if any.</summary>
public readonly record struct FuzzResult(Outcome Outcome, string Mutation, int Length, long Allocated, Exception? Error);

/// <summary>
/// Mutations of valid IDX, CIFAR-10 and safetensors files and a harness that reads them and classifies the result.
/// Shared by the unit fuzz tests (tests/Unit/Reliability/ReaderFuzzTests.cs) and the long campaign (tools/fuzz).
/// Every mutation is a function of a <see cref="Random"/>, so a case is reproduced from its seed.
/// </summary>
public static partial class ReaderMutators
{
    /// <summary>Allocation allowed per byte of input on top of <see cref="AllocationSlack"/>.</summary>
    /// <remarks>
    /// The safetensors reader holds the header, its parsed JSON and the tensors (F16 and I64 keep the raw values and
    /// their conversion, up to 3 bytes per input byte); the IDX reader's gzip can expand 1032-fold, hence its own bound.
    /// </remarks>
    public const long AllocationPerByte = 16, GzipAllocationPerByte = 5 * 1032, AllocationSlack = 4 << 20;

    private static readonly string[] DTypes = ["F32", "F64", "F16", "BF16", "I64", "I32", "U8", "BOOL", "f32", ""];

    private static readonly string[] EdgeNumbers =
    [
        "0", "1", "2", "3", "7", "8", "-1", "-8", "255", "256", "65536", "2147483647", "2147483648", "-2147483648",
        "4294967295", "4294967296", "9007199254740993", "9223372036854775807", "9223372036854775808",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999999", "1e3", "1.5", "-0", "1e308", "1e309",
    ];

    private static readonly ulong[] EdgeLengths = [0, 1, 2, 7, 8, 9, 100, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 100_000_000, 100_000_001, long.MaxValue, ulong.MaxValue];

    /// <summary>Valid safetensors files: F32 and F64 tensors of several shapes (including empty and scalar) with and without metadata.</summary>
    public static IReadOnlyList<byte[]> SafeTensorsSeeds { get; } =
    [
        SafeTensorsFile(ParamTree.Of(("0.weight", Tensor.Arange(0, 12).Reshape([3, 4])), ("0.bias", Tensor.Full([3], 0.5))),
            new Dictionary<string, string> { ["format"] = "pt", ["step"] = "12" }),
        SafeTensorsFile(ParamTree.Of(("a", Tensor.Arange(0, 6, 1, DType.Float64).Reshape([2, 3])), ("b", Tensor.Scalar(2)), ("c", Tensor.Zeros([0, 4]))), null),
        SafeTensorsFile(ParamTree.Of(("bn.running_mean", Tensor.Zeros([4], DType.Float64)), ("bn.running_var", Tensor.Ones([4])), ("conv.weight", Tensor.Full([2, 1, 2, 2], -1.5))), null),
    ];

    /// <summary>A valid CIFAR-10 batch of two records.</summary>
    public static byte[] CifarSeed { get; } = CifarFile();

    /// <summary>Valid IDX files: images [4, 3, 5] and eight labels.</summary>
    public static IReadOnlyList<byte[]> IdxSeeds { get; } = [IdxFile(Idx.ImagesMagic, [4, 3, 5]), IdxFile(Idx.LabelsMagic, [8])];

    private static byte[] SafeTensorsFile(ParamTree<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var ms = new MemoryStream();
        SafeTensors.Write(ms, tensors, metadata);
        return ms.ToArray();
    }

    private static byte[] CifarFile()
    {
        var bytes = new byte[2 * Cifar10.RecordBytes];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)((37 * i + 11) % 256);
        bytes[0] = 3;
        bytes[Cifar10.RecordBytes] = 9;
        return bytes;
    }

    private static byte[] IdxFile(uint magic, uint[] dims)
    {
        long payload = 1;
        foreach (var d in dims) payload *= d;
        var bytes = new byte[4 + 4 * dims.Length + payload];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 + 4 * i), dims[i]);
        for (int k = 0; k < payload; k++) bytes[4 + 4 * dims.Length + k] = (byte)((37 * k + 11) % 10);
        return bytes;
    }

    /// <summary>Gzip of <paramref name="raw"/>.</summary>
    public static byte[] Gzip(byte[] raw)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    /// <summary>One to three byte-level mutations: flips, truncation, appended bytes, a big-endian 32-bit field overwritten.</summary>
    public static (byte[] Bytes, string Mutation) MutateBytes(byte[] valid, Random r)
    {
        var bytes = (byte[])valid.Clone();
        var names = new List<string>();
        int count = r.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            switch (r.Next(4))
            {
                case 0:
                {
                    if (bytes.Length == 0) break;
                    // Bias flips towards the header, where the structure is.
                    int at = r.Next(2) == 0 ? r.Next(Math.Min(bytes.Length, 32)) : r.Next(bytes.Length);
                    bytes[at] ^= (byte)r.Next(1, 256);
                    names.Add($"flip@{at}");
                    break;
                }
                case 1:
                {
                    int at = r.Next(bytes.Length + 1);
                    bytes = bytes[..at];
                    names.Add($"truncate@{at}");
                    break;
                }
                case 2:
                {
                    var extra = new byte[r.Next(1, 9)];
                    r.NextBytes(extra);
                    bytes = [.. bytes, .. extra];
                    names.Add($"append{extra.Length}");
                    break;
                }
                default:
                {
                    if (bytes.Length < 4) break;
                    int at = 4 * r.Next(Math.Min(bytes.Length / 4, 8));
                    uint v = r.Next(2) == 0 ? (uint)EdgeLengths[r.Next(EdgeLengths.Length)] : (uint)r.NextInt64(0, 1L << 32);
                    BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(at), v);
                    names.Add($"field@{at}={v}");
                    break;
                }
            }
        }
        return (bytes, string.Join(",", names));
    }

    /// <summary>
    /// A mutated safetensors file: byte-level mutations, a changed header length, or an edit of the JSON header
    /// (dtype swaps, numbers in shapes and offsets replaced by edge values, duplicate keys, fields removed or
    /// retyped, stray characters), after which the header length is usually updated to match.
    /// </summary>
    public static (byte[] Bytes, string Mutation) MutateSafeTensors(byte[] valid, Random r)
    {
        switch (r.Next(6))
        {
            case 0:
                return MutateBytes(valid, r);
            case 1:
            {
                var bytes = (byte[])valid.Clone();
                ulong n = r.Next(2) == 0 ? EdgeLengths[r.Next(EdgeLengths.Length)] : BinaryPrimitives.ReadUInt64LittleEndian(bytes) + (ulong)r.Next(-16, 17);
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, n);
                return (bytes, $"length={n}");
            }
            default:
            {
                int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
                var json = Encoding.UTF8.GetString(valid, 8, n);
                var data = valid[(8 + n)..];
                var names = new List<string>();
                int edits = r.Next(1, 3);
                for (int i = 0; i < edits; i++)
                {
                    var (edited, name) = EditJson(json, r);
                    json = edited;
                    names.Add(name);
                }
                var header = Encoding.UTF8.GetBytes(json);
                bool keepLength = r.Next(8) == 0;
                if (keepLength) names.Add("stale-length");
                var bytes = new byte[8 + header.Length + data.Length];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, keepLength ? (ulong)n : (ulong)header.Length);
                header.CopyTo(bytes, 8);
                data.CopyTo(bytes, 8 + header.Length);
                if (r.Next(4) == 0)
                {
                    var (mutated, more) = MutateBytes(bytes, r);
                    return (mutated, string.Join(",", names) + "," + more);
                }
                return (bytes, string.Join(",", names));
            }
        }
    }

    [GeneratedRegex("\"(F32|F64)\"")]
    private static partial Regex DTypeToken();

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][+-]?\d+)?")]
    private static partial Regex NumberToken();

    [GeneratedRegex("\"[^\"]+\":\\{\"dtype\"[^{}]*\\}")]
    private static partial Regex TensorEntry();

    [GeneratedRegex("\"(dtype|shape|data_offsets)\":")]
    private static partial Regex FieldName();

    private static (string Json, string Name) EditJson(string json, Random r)
    {
        switch (r.Next(9))
        {
            case 0:
                return Replace(json, DTypeToken(), r, $"\"{DTypes[r.Next(DTypes.Length)]}\"", "dtype");
            case 1:
            case 2:
            {
                var edge = r.Next(3) == 0 ? r.Next(-100, 100_000).ToString() : EdgeNumbers[r.Next(EdgeNumbers.Length)];
                return Replace(json, NumberToken(), r, edge, "number");
            }
            case 3:
            {
                var entries = TensorEntry().Matches(json);
                if (entries.Count == 0) return (json, "dup:none");
                var e = entries[r.Next(entries.Count)];
                return (json.Insert(e.Index + e.Length, "," + e.Value), "duplicate-key");
            }
            case 4:
                return Replace(json, FieldName(), r, r.Next(2) == 0 ? "\"extra\":" : "\"dtype\":", "field-name");
            case 5:
            {
                // A field's value replaced by a value of another JSON type.
                string[] values = ["null", "true", "\"F32\"", "[]", "[1,2,3]", "{}", "[[1]]", "\"\""];
                return Replace(json, NumberToken(), r, values[r.Next(values.Length)], "retype");
            }
            case 6:
            {
                int at = r.Next(json.Length + 1);
                string[] stray = ["{", "}", "[", "]", ",", "\"", ":", "\\", "\u00e9", "\0", " "];
                return (json.Insert(at, stray[r.Next(stray.Length)]), $"stray@{at}");
            }
            case 7:
            {
                // Deep nesting inside the metadata or as a new entry.
                int depth = r.Next(1, 200);
                var nested = new string('[', depth) + new string(']', depth);
                return (json.Insert(1, $"\"deep\":{nested},"), $"nest{depth}");
            }
            default:
            {
                var entries = TensorEntry().Matches(json);
                if (entries.Count == 0) return (json, "swap:none");
                // Drop one entry, keeping the JSON well formed.
                var e = entries[r.Next(entries.Count)];
                var start = e.Index > 0 && json[e.Index - 1] == ',' ? e.Index - 1 : e.Index;
                var end = start == e.Index && e.Index + e.Length < json.Length && json[e.Index + e.Length] == ',' ? e.Index + e.Length + 1 : e.Index + e.Length;
                return (json.Remove(start, end - start), "drop-entry");
            }
        }
    }

    private static (string, string) Replace(string json, Regex token, Random r, string replacement, string name)
    {
        var matches = token.Matches(json);
        if (matches.Count == 0) return (json, name + ":none");
        var m = matches[r.Next(matches.Count)];
        return (json[..m.Index] + replacement + json[(m.Index + m.Length)..], $"{name}@{m.Index}={replacement}");
    }

    /// <summary>
    /// Runs <paramref name="read"/> on <paramref name="bytes"/> and classifies the result; the allocation on this
    /// thread must stay within <paramref name="perByte"/> x length + <see cref="AllocationSlack"/>.
    /// </summary>
    public static FuzzResult Classify(byte[] bytes, string mutation, long perByte, Action<byte[]> read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Outcome outcome;
        Exception? error = null;
        try
        {
            read(bytes);
            outcome = Outcome.Read;
        }
        catch (InvalidDataException e)
        {
            outcome = Outcome.InvalidData;
            error = e;
        }
        catch (Exception e)
        {
            outcome = Outcome.OtherException;
            error = e;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        if (outcome != Outcome.OtherException && allocated > perByte * bytes.Length + AllocationSlack) outcome = Outcome.OverAllocated;
        return new FuzzResult(outcome, mutation, bytes.Length, allocated, error);
    }

    /// <summary>Reads a mutated safetensors file from memory.</summary>
    public static FuzzResult SafeTensorsCase(Random r)
    {
        var (bytes, mutation) = MutateSafeTensors(SafeTensorsSeeds[r.Next(SafeTensorsSeeds.Count)], r);
        return Classify(bytes, mutation, AllocationPerByte, b => SafeTensors.Read(new MemoryStream(b), "fuzz.safetensors"));
    }

    /// <summary>Reads a mutated IDX file (raw, gzip of a mutated file, or a mutated gzip stream) as images and as labels.</summary>
    public static FuzzResult IdxCase(Random r)
    {
        var seed = IdxSeeds[r.Next(IdxSeeds.Count)];
        int form = r.Next(3);
        var (bytes, mutation) = MutateBytes(form == 2 ? Gzip(seed) : seed, r);
        if (form == 1) bytes = Gzip(bytes);
        mutation = (form switch { 0 => "raw:", 1 => "gzip-after:", _ => "gzip-mutated:" }) + mutation;
        bool labels = r.Next(2) == 0;
        return Classify(bytes, mutation, form == 0 ? AllocationPerByte : GzipAllocationPerByte, b =>
        {
            if (labels) Idx.ReadLabels(new MemoryStream(b), "fuzz.idx");
            else Idx.ReadImages(new MemoryStream(b), "fuzz.idx");
        });
    }

    /// <summary>Reads a mutated CIFAR-10 batch through a file at <paramref name="path"/> (the reader takes paths).</summary>
    public static FuzzResult CifarCase(Random r, string path)
    {
        var (bytes, mutation) = MutateBytes(CifarSeed, r);
        File.WriteAllBytes(path, bytes);
        return Classify(bytes, mutation, AllocationPerByte, _ => Cifar10.ReadBatch(path));
    }
}
