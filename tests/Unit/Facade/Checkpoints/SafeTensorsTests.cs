using System.Buffers.Binary;
using System.Text;
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using static Cnn.Unit.Facade.Checkpoints.CheckpointFiles;

namespace Cnn.Unit.Facade.Checkpoints;

public class SafeTensorsTests
{
    private static ParamTree<Tensor> MixedTree(DType dtype) => ParamTree.Of(
        ("conv", ParamTree.Of(
            ("weight", Tensor.RandomNormal(Rng.Seed(1), [3, 2, 3, 3], dtype: dtype)),
            ("bias", Tensor.Generate([3], dtype, i => new[] { double.NaN, -0.0, double.PositiveInfinity }[i])))),
        ("scale", Tensor.Scalar(0.1, dtype)),
        ("empty", Tensor.Zeros([0, 4], dtype)),
        ("fc.weight", Tensor.RandomUniform(Rng.Seed(2), [5, 7], -1, 1, dtype)));

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void Write_ThenRead_ReturnsSameTensorsBitForBitInOrder(DType dtype)
    {
        using var dir = new TempDirectory();
        var tree = MixedTree(dtype);
        SafeTensors.Write(dir.File("t.safetensors"), tree);
        var back = SafeTensors.Read(dir.File("t.safetensors"));
        AssertTreesBitEqual(tree, back.Tensors);
        Assert.Empty(back.Metadata);
    }

    [Fact]
    public void Write_MixedDTypesAndMetadata_RoundTripThroughStream()
    {
        var tree = ParamTree.Of(("a", Tensor.FromArray([1f, 2f, 3f])), ("b", Tensor.FromArray([0.5, -1e300], [2, 1])));
        var meta = new Dictionary<string, string> { ["step"] = "12", ["note"] = "Grüße \"quoted\" \u2713", ["empty"] = "" };
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tree, meta);
        stream.Position = 0;
        var back = SafeTensors.Read(stream, "memory");
        AssertTreesBitEqual(tree, back.Tensors);
        Assert.Equal(meta.OrderBy(kv => kv.Key), back.Metadata.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Write_EmptyTree_IsEightBytePrefixAndPaddedEmptyObject()
    {
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, ParamTree<Tensor>.Empty);
        var bytes = stream.ToArray();
        Assert.Equal(16, bytes.Length);
        Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        Assert.Equal("{}      ", Encoding.UTF8.GetString(bytes, 8, 8));
        stream.Position = 0;
        Assert.Empty(SafeTensors.Read(stream, "memory").Tensors);
    }

    [Fact]
    public void Write_TinyFile_MatchesSpecByteForByte()
    {
        var tree = ParamTree.Of(("a", Tensor.FromArray([1f, -2f])), ("s", Tensor.Scalar(0.25, DType.Float64)));
        using var stream = new MemoryStream();
        SafeTensors.Write(stream, tree, new Dictionary<string, string> { ["k"] = "v" });
        var bytes = stream.ToArray();

        const string json = """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"s":{"dtype":"F64","shape":[],"data_offsets":[8,16]}}""";
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        Assert.InRange(n - json.Length, 0, 7);
        Assert.Equal(json + new string(' ', n - json.Length), Encoding.UTF8.GetString(bytes, 8, n));
        var expectedData = Floats(1f, -2f).Concat(BitConverter.GetBytes(0.25)).ToArray();
        Assert.Equal(expectedData, bytes[(8 + n)..]);
    }

    [Fact]
    public void Write_MetadataKeyAsTensorName_ThrowsArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => SafeTensors.Write(new MemoryStream(), ParamTree.Of(("__metadata__", Tensor.Scalar(1)))));
        Assert.Contains("reserved", ex.Message);
    }

    [Fact]
    public void Read_HalfBFloatAndInt64_ConvertsToFloat32AndFloat64()
    {
        var data = new List<byte>();
        data.AddRange(BitConverter.GetBytes((ushort)0x3E00)); // F16 1.5
        data.AddRange(BitConverter.GetBytes((ushort)0xC000)); // F16 -2
        data.AddRange(BitConverter.GetBytes((ushort)0x3F80)); // BF16 1
        data.AddRange(BitConverter.GetBytes((ushort)0xC0A0)); // BF16 -5
        data.AddRange(BitConverter.GetBytes(7L));
        var file = Raw("""{"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"n":{"dtype":"I64","shape":[],"data_offsets":[8,16]}}""", data.ToArray());
        var t = SafeTensors.Read(new MemoryStream(file), "mixed").Tensors;
        Assert.Equal(DType.Float32, t["h"].DType);
        Assert.Equal([1.5f, -2f], t["h"].ToFloatArray());
        Assert.Equal([1f, -5f], t["b"].ToFloatArray());
        Assert.Equal(DType.Float64, t["n"].DType);
        Assert.Equal(7.0, t["n"].ToScalar());
    }

    [Fact]
    public void Read_Int64BeyondTwoToThe53_ThrowsNamingTensor()
    {
        var file = Raw("""{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}""", BitConverter.GetBytes((1L << 53) + 1));
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(file), "big.safetensors"));
        Assert.Contains("big.safetensors: tensor 'n' (I64) holds 9007199254740993", ex.Message);
    }

    [Fact]
    public void Read_FileShorterThanLengthPrefix_ThrowsNamingFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("short.safetensors");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("is 5 bytes long, shorter than the 8-byte header length", ex.Message);
    }

    [Fact]
    public void Read_TruncatedData_ThrowsNamingFileAndTensor()
    {
        using var dir = new TempDirectory();
        var path = dir.File("cut.safetensors");
        SafeTensors.Write(path, ParamTree.Of(("a", Tensor.Ones([4])), ("b", Tensor.Ones([3]))));
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^4]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(path));
        Assert.Contains($"{path}: tensor 'b' has data_offsets [16, 28] past the end of the data buffer (24 bytes); the file is truncated", ex.Message);
    }

    [Fact]
    public void Read_HeaderLengthBeyondFile_Throws()
    {
        var file = Raw("{}", [], claimedHeaderLength: 1000);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(file), "f"));
        Assert.Contains("f: claims a header of 1000 bytes but only 2 bytes follow the length field", ex.Message);
    }

    [Fact]
    public void Read_HugeHeaderClaim_ThrowsBeforeAllocating()
    {
        var file = Raw("{}", [], claimedHeaderLength: 1UL << 62);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(file), "f"));
        Assert.Contains("claims a header of 4611686018427387904 bytes, more than the 100000000 allowed", ex.Message);
    }

    [Theory]
    [InlineData("""{"a": {"dtype": "F32", """, 0, "the header is not well-formed JSON")]
    [InlineData("""[1, 2]""", 0, "has a header that does not start with '{' (first byte 0x5B)")]
    [InlineData("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", 8, "tensor 'a' has dtype F32 and shape [3], so needs 12 bytes, but its data_offsets [0, 8] span 8 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", 8, "tensor 'a' has data_offsets [8, 16] past the end of the data buffer (8 bytes)")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "tensor 'a' has data_offsets [8, 0] that end before they begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "tensor 'b' at bytes [4, 12) overlaps tensor 'a', which ends at byte 8")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}""", 16, "bytes [8, 12) of the data buffer, before tensor 'b', belong to no tensor")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8, "the tensors cover 4 bytes of the data buffer but it holds 8; 4 trailing bytes")]
    [InlineData("""{"a":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a' has dtype I32, which this reader does not read")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}""", 4, "tensor 'a': shape must be an array of non-negative 32-bit integers but element 0 is -1")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,4]}}""", 4, "whose element count overflows a 64-bit integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[65536,65536],"data_offsets":[0,4]}}""", 4, "with 4294967296 elements, more than a tensor can hold")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}}""", 4, "data_offsets must be an array of non-negative integers but element 1 is -4")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}""", 4, "data_offsets must be [begin, end] but has 3 numbers")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1]}}""", 4, "tensor 'a' lacks data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}""", 4, "tensor 'a': unexpected field 'extra'")]
    [InlineData("""{"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}}""", 4, "tensor 'a': field 'dtype' is repeated or has the wrong JSON type (Number)")]
    [InlineData("""{"a":[1]}""", 0, "has tensor 'a' as a JSON Array; expected an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", 0, "names 'a' twice in its header")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "has __metadata__ entry 'k' as a JSON Number; expected a string")]
    [InlineData("""{"":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", 0, "has a tensor with an empty name")]
    public void Read_MalformedHeader_ThrowsInvalidDataNamingFileAndProblem(string header, int dataBytes, string expected)
    {
        var file = Raw(header, new byte[dataBytes]);
        var ex = Assert.Throws<InvalidDataException>(() => SafeTensors.Read(new MemoryStream(file), "bad.safetensors"));
        Assert.StartsWith("bad.safetensors: ", ex.Message);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Read_HeaderPaddedWithSpaces_IsAccepted()
    {
        var file = Raw("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}        """, Floats(3f));
        Assert.Equal(3.0, SafeTensors.Read(new MemoryStream(file), "f").Tensors["a"].ToScalar());
    }
}
