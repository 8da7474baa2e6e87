using Cnn.Fuzz;
using FsCheck;
using FsCheck.Fluent;
using Outcome = Cnn.Fuzz.Outcome;

namespace Cnn.Unit.Reliability;

/// <summary>
/// Mutated versions of valid safetensors, IDX and CIFAR-10 files (the mutators of tools/fuzz, see
/// <see cref="ReaderMutators"/>) either read or fail with <see cref="InvalidDataException"/>, and never allocate
/// more than a multiple of the file's length plus a constant. FsCheck draws the seed of each case; a failure
/// names it, and <c>dotnet run -c Release --project tools/fuzz</c> runs the same mutators for many more cases.
/// </summary>
public sealed class ReaderFuzzTests : IDisposable
{
    private readonly string _temp = Path.Combine(Path.GetTempPath(), $"cnn-fuzz-{Guid.NewGuid():N}.bin");

    public void Dispose() => File.Delete(_temp);

    private static void ReadsOrFailsCleanly(int seed, Func<Random, FuzzResult> run)
    {
        var result = run(new Random(seed));
        Assert.True(result.Outcome is Outcome.Read or Outcome.InvalidData,
            $"seed {seed}, mutation {result.Mutation}: {result.Outcome} after allocating {result.Allocated} bytes for {result.Length}: {result.Error}");
        if (result.Error is { } e) Assert.Contains("fuzz", e.Message);
    }

    private static void Campaign(int cases, Func<Random, FuzzResult> run) =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases),
            Prop.ForAll(Gen.Choose(int.MinValue, int.MaxValue).ToArbitrary(), seed => ReadsOrFailsCleanly(seed, run)));

    [Fact]
    public void SafeTensorsRead_MutatedFiles_SucceedOrThrowInvalidData() => Campaign(3000, ReaderMutators.SafeTensorsCase);

    [Fact]
    public void IdxRead_MutatedFiles_SucceedOrThrowInvalidData() => Campaign(1000, ReaderMutators.IdxCase);

    [Fact]
    public void Cifar10ReadBatch_MutatedFiles_SucceedOrThrowInvalidData() => Campaign(200, r => ReaderMutators.CifarCase(r, _temp));

    [Fact]
    public void Seeds_Unmutated_Read()
    {
        foreach (var seed in ReaderMutators.SafeTensorsSeeds)
            Assert.Equal(Outcome.Read, ReaderMutators.Classify(seed, "none", ReaderMutators.AllocationPerByte,
                b => Cnn.Facade.Checkpoints.SafeTensors.Read(new MemoryStream(b), "seed")).Outcome);
        File.WriteAllBytes(_temp, ReaderMutators.CifarSeed);
        Assert.Equal(2, Cnn.Facade.Data.Cifar10.ReadBatch(_temp).Count);
    }

    [Fact]
    public void SafeTensorsRead_HeaderWithInvalidUtf8_ThrowsInvalidData()
    {
        // Found by the fuzzer: a flipped byte inside a tensor name made the reader throw InvalidOperationException
        // from System.Text.Json when the name was read.
        var bytes = (byte[])ReaderMutators.SafeTensorsSeeds[0].Clone();
        int name = Array.IndexOf(bytes, (byte)'w');
        bytes[name] = 0xC3;
        var e = Assert.Throws<InvalidDataException>(() => Cnn.Facade.Checkpoints.SafeTensors.Read(new MemoryStream(bytes), "bad.safetensors"));
        Assert.Contains("bad.safetensors", e.Message);
        Assert.Contains("not valid UTF-8", e.Message);
        Assert.Contains($"offset {name - 8}", e.Message);
    }

    [Fact]
    public void MutateSafeTensors_ManyCases_ReachEveryOutcomeOfInterest()
    {
        // The mutators must not be so destructive that nothing reads, nor so gentle that nothing fails.
        int read = 0, invalid = 0;
        for (int s = 0; s < 400; s++)
        {
            var o = ReaderMutators.SafeTensorsCase(new Random(s)).Outcome;
            if (o == Outcome.Read) read++;
            if (o == Outcome.InvalidData) invalid++;
        }
        Assert.InRange(read, 10, 390);
        Assert.InRange(invalid, 10, 390);
    }
}
