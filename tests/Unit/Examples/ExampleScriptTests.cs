using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Cnn.Unit.Examples;

/// <summary>
/// Each script in examples/ runs with a budget of two training steps, exits with 0 and prints its result line.
/// The scripts are compiled one after another (they share the library builds, which must not race), then run in
/// parallel; the first test case does all of it and the others read its results.
/// </summary>
public class ExampleScriptTests(ITestOutputHelper output)
{
    // (script, the start of its result line, whether it writes files to --out)
    public static TheoryData<string, string, bool> Scripts => new()
    {
        { "fashion-mnist", "test accuracy: ", true },
        { "manual-loop", "saved ", true },
        { "custom-layer", "test accuracy with squeeze-and-excitation: ", true },
        { "residual-network", "residual network test accuracy: ", true },
        { "load-pytorch-weights", "largest difference ", true },
        { "tiny-cnn", "after 2 steps: test accuracy ", false },
        { "verify-custom-layer", "done in ", false },
    };

    private static readonly Lazy<Task<Dictionary<string, ScriptRun>>> Runs = new(RunAll);

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task Run_MaxSteps2_ExitsZeroAndPrintsResult(string script, string expectedLine, bool writesFiles)
    {
        var runs = await Runs.Value;
        var run = runs[script];
        output.WriteLine($"{script}: build {run.BuildSeconds:F1} s, run {run.RunSeconds:F1} s (all scripts: {runs.Values.First().TotalSeconds:F1} s)");
        output.WriteLine(run.Output);
        try
        {
            Assert.True(run.ExitCode == 0, $"{script} exited with {run.ExitCode}:\n{run.Output}");
            Assert.Contains(run.Output.Split('\n'), line => line.StartsWith(expectedLine, StringComparison.Ordinal));
            if (writesFiles) Assert.NotEmpty(Directory.GetFiles(run.OutDirectory));
        }
        finally
        {
            Directory.Delete(run.OutDirectory, recursive: true);
        }
    }

    private sealed record ScriptRun(int ExitCode, string Output, string OutDirectory, double BuildSeconds, double RunSeconds, double TotalSeconds);

    private static async Task<Dictionary<string, ScriptRun>> RunAll()
    {
        var root = RepositoryRoot();
        var names = Scripts.Select(row => (string)row[0]).ToArray();
        var total = Stopwatch.StartNew();
        var builds = new Dictionary<string, (int Code, string Output, double Seconds)>();
        foreach (var name in names)
        {
            var clock = Stopwatch.StartNew();
            var (code, text) = await Dotnet(root, $"build examples/{name}.cs");
            builds[name] = (code, text, clock.Elapsed.TotalSeconds);
        }
        var outRoot = Path.Combine(Path.GetTempPath(), "cnn-examples-" + Guid.NewGuid().ToString("N"));
        var runs = await Task.WhenAll(names.Select(async name =>
        {
            var outDir = Path.Combine(outRoot, name);
            Directory.CreateDirectory(outDir);
            var build = builds[name];
            if (build.Code != 0) return (name, new ScriptRun(build.Code, "build failed:\n" + build.Output, outDir, build.Seconds, 0, 0));
            var clock = Stopwatch.StartNew();
            var (code, text) = await Dotnet(root, $"run --no-build examples/{name}.cs -- --max-steps 2 --out \"{outDir}\"");
            return (name, new ScriptRun(code, text, outDir, build.Seconds, clock.Elapsed.TotalSeconds, 0));
        }));
        double seconds = total.Elapsed.TotalSeconds;
        return runs.ToDictionary(r => r.name, r => r.Item2 with { TotalSeconds = seconds });
    }

    private static async Task<(int ExitCode, string Output)> Dotnet(string workingDirectory, string arguments)
    {
        var info = new ProcessStartInfo("dotnet", arguments)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(info)!;
        var text = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"dotnet {arguments} timed out after 8 minutes\n{await stdout}\n{await stderr}");
        }
        text.Append(await stdout).Append(await stderr);
        return (process.ExitCode, text.ToString().Replace("\r\n", "\n"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cnn.Autodiff.sln")) && Directory.Exists(Path.Combine(dir.FullName, "examples")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No repository root (a folder with Cnn.Autodiff.sln and examples/) above {AppContext.BaseDirectory}.");
    }
}
