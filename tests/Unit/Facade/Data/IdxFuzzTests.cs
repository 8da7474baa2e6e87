using System.Buffers.Binary;
using Cnn.Facade.Data;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Unit.Facade.Data;

/// <summary>
/// Mutated versions of a valid small IDX file (byte flips, truncation, header fields set to edge values, each on
/// the raw bytes or on their gzip) either read or fail with <see cref="InvalidDataException"/>, and never
/// allocate more than the header validation allows.
/// </summary>
public class IdxFuzzTests
{
    private static readonly byte[] ValidImages = TempFolder.Images(4, 3, 5);

    private static readonly byte[] ValidLabels = TempFolder.Labels(3, 1, 4, 1, 5, 9, 2, 6);

    private static readonly uint[] EdgeValues = [0, 1, 2, 3, 28, 255, 256, 0x801, 0x803, 0xD03, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF];

    private enum Mutation { FlipByte, Truncate, SetHeaderField, Append }

    private sealed record Case(bool Labels, Mutation Kind, bool MutateCompressed, bool GzipAfter, int Position, uint Value);

    private static readonly Gen<Case> Cases =
        from labels in Gen.Elements(false, true)
        from kind in Gen.Elements(Mutation.FlipByte, Mutation.Truncate, Mutation.SetHeaderField, Mutation.Append)
        from mutateCompressed in Gen.Elements(false, true)
        from gzipAfter in Gen.Elements(false, true)
        from position in Gen.Choose(0, 10_000)
        from edge in Gen.Elements(EdgeValues)
        from random in Gen.Choose(int.MinValue, int.MaxValue)
        from useEdge in Gen.Elements(true, false)
        select new Case(labels, kind, mutateCompressed, gzipAfter, position, useEdge ? edge : (uint)random);

    private static byte[] Apply(Case c)
    {
        // Mutate either the raw bytes (then maybe gzip them) or the gzip stream itself.
        var valid = c.Labels ? ValidLabels : ValidImages;
        var bytes = c.MutateCompressed ? TempFolder.Gzip(valid) : (byte[])valid.Clone();
        switch (c.Kind)
        {
            case Mutation.FlipByte:
                bytes[c.Position % bytes.Length] ^= (byte)(1 + c.Value % 255);
                break;
            case Mutation.Truncate:
                bytes = bytes[..(c.Position % bytes.Length)];
                break;
            case Mutation.SetHeaderField:
                BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4 * (c.Position % ((bytes.Length - 4) / 4 + 1))), c.Value);
                break;
            case Mutation.Append:
                bytes = [.. bytes, .. BitConverter.GetBytes(c.Value)[..(1 + c.Position % 4)]];
                break;
        }
        return !c.MutateCompressed && c.GzipAfter ? TempFolder.Gzip(bytes) : bytes;
    }

    private static void ReadsOrFailsCleanly(Case c)
    {
        var bytes = Apply(c);
        // Header validation bounds the payload by the file length (raw) or 1032 x the compressed length (gzip);
        // the reader then holds the bytes and their float32 copy, plus the decompressor's own buffers.
        long bound = 5 * 1032L * bytes.Length + (4 << 20);
        foreach (var read in new Action<Stream>[] { s => Idx.ReadImages(s, "fuzz.idx"), s => Idx.ReadLabels(s, "fuzz.idx") })
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                read(new MemoryStream(bytes));
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("'fuzz.idx'", e.Message);
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= bound, $"{c}: reading {bytes.Length} bytes allocated {allocated} bytes (bound {bound}).");
        }
    }

    [Fact]
    public void ReadImagesAndLabels_MutatedFiles_SucceedOrThrowInvalidData() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), Prop.ForAll(Cases.ToArbitrary(), ReadsOrFailsCleanly));

    [Fact]
    public void ReadImagesAndLabels_UnmutatedFuzzSeeds_Read()
    {
        Assert.Equal(8, Idx.ReadLabels(new MemoryStream(TempFolder.Gzip(ValidLabels)), "seed.gz").Length);
        Assert.Equal(60, Idx.ReadImages(new MemoryStream(ValidImages), "seed").Size);
        Assert.Equal(60, Idx.ReadImages(new MemoryStream(TempFolder.Gzip(ValidImages)), "seed.gz").Size);
    }
}
