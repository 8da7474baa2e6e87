using System.Diagnostics;
using System.Reflection;
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Xunit.Abstractions;

namespace Cnn.Unit.Reliability;

/// <summary>
/// Nothing lost: a child process (tests/CrashWriter) writes checkpoint A, then rewrites the same path with a
/// 50 MB checkpoint B in a loop; it is killed at a random moment. The path must then hold A or a complete B,
/// never a torn file, and a stray temporary file must not get in the way of loading or saving.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Repetitions = 5;

    private readonly string _dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "cnn-crash-" + Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string CrashWriterDll() =>
        typeof(CrashTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CrashWriterPath").Value
        ?? throw new InvalidOperationException("CrashWriterPath metadata is empty; see tests/Unit/Unit.csproj.");

    [Fact]
    public async Task CheckpointSave_ProcessKilledMidWrite_PreviousOrCompleteCheckpointLoads()
    {
        var dll = CrashWriterDll();
        Assert.True(File.Exists(dll), $"the crash writer was not built at {dll}");
        var rng = new Random(20240607);
        var outcomes = new List<string>();
        for (int rep = 0; rep < Repetitions; rep++)
        {
            var path = Path.Combine(_dir, $"model{rep}.safetensors");
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(dll);
            start.ArgumentList.Add(path);
            using (var child = Process.Start(start)!)
            {
                try
                {
                    var ready = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                    Assert.True(ready == "ready", $"the crash writer said '{ready}' instead of 'ready'.");
                    // One write of B takes a few hundred milliseconds here: kill during the first few writes.
                    await Task.Delay(rng.Next(0, 1200));
                }
                finally
                {
                    child.Kill(entireProcessTree: true);
                    child.WaitForExit();
                }
            }
            outcomes.Add(Verify(path));

            // A stray temporary file left by the killed writer does not stop the next save.
            Checkpoint.Save(path, CrashCheckpoints.A(), ParamTree<Tensor>.Empty);
            Assert.Equal(CrashCheckpoints.A().Paths, Checkpoint.Read(path).Tensors.Paths);
        }
        output.WriteLine($"outcomes: {string.Join(", ", outcomes)}");
    }

    /// <summary>Checks that <paramref name="path"/> holds A or a complete B; returns which, and the stray temporary files.</summary>
    private string Verify(string path)
    {
        var content = Checkpoint.Read(path);
        var which = content.Metadata["which"];
        if (which == "A")
        {
            var a = CrashCheckpoints.A();
            Assert.Equal(a.Paths, content.Tensors.Paths);
            foreach (var name in a.Paths) Assert.True(a[name].AllClose(content.Tensors[name], 0, 0), $"A's {name} changed");
        }
        else
        {
            Assert.Equal("B", which);
            Assert.Equal(CrashCheckpoints.BTensors, content.Tensors.Count);
            for (int k = 0; k < CrashCheckpoints.BTensors; k++)
            {
                var t = content.Tensors[$"block{k}"].Span<float>();
                Assert.Equal(CrashCheckpoints.BTensorSize, t.Length);
                Assert.True(t.IndexOfAnyExcept(k + 0.5f) < 0, $"B's block{k} is torn");
            }
        }
        int strays = Directory.GetFiles(_dir, $".{Path.GetFileName(path)}.*.tmp").Length;
        return $"{which}{(strays > 0 ? "+tmp" : "")}";
    }
}
