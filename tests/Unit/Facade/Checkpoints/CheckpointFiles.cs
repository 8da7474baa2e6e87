using System.Buffers.Binary;
using System.Text;
using Cnn.Autodiff;

namespace Cnn.Unit.Facade.Checkpoints;

/// <summary>A fresh directory under the system temp folder, deleted with everything in it on Dispose.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "cnn-checkpoints-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => Path.Combine(Root, name);

    /// <summary>The names of the files in the directory, sorted.</summary>
    public string[] Names() => Directory.GetFiles(Root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public void Dispose() => Directory.Delete(Root, recursive: true);
}

/// <summary>Builds raw safetensors bytes and compares tensors bit for bit.</summary>
internal static class CheckpointFiles
{
    /// <summary>The length prefix (by default the header's length), the header and the data buffer.</summary>
    public static byte[] Raw(string header, byte[] data, ulong? claimedHeaderLength = null)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedHeaderLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        return bytes;
    }

    /// <summary>The bytes of each value, little-endian, concatenated.</summary>
    public static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    /// <summary>True when both tensors have the same dtype, shape and element bits (so NaN, -0 and infinities count).</summary>
    public static bool BitEqual(Tensor a, Tensor b)
    {
        if (a.DType != b.DType || a.Shape != b.Shape) return false;
        return a.DType == DType.Float32
            ? a.Span<float>().ToArray().Select(BitConverter.SingleToInt32Bits).SequenceEqual(b.Span<float>().ToArray().Select(BitConverter.SingleToInt32Bits))
            : a.Span<double>().ToArray().Select(BitConverter.DoubleToInt64Bits).SequenceEqual(b.Span<double>().ToArray().Select(BitConverter.DoubleToInt64Bits));
    }

    public static void AssertTreesBitEqual(ParamTree<Tensor> expected, ParamTree<Tensor> actual)
    {
        Assert.Equal(expected.Paths, actual.Paths);
        foreach (var (name, t) in expected)
            Assert.True(BitEqual(t, actual[name]), $"{name}: wrote {t}, read {actual[name]}");
    }
}
