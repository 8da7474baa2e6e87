using System.Diagnostics;
using System.Text.Json;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// Runs tools/bench/torch_bench.py with /usr/bin/python3 as a subprocess: the case list goes in as JSON on
/// stdin, the medians (and, for the Fashion-MNIST epoch, the test accuracy) come back as JSON on stdout. OPENBLAS_CORETYPE=SkylakeX and the thread count are set
/// in its environment; the script calls torch.set_num_threads with the same count.
/// </summary>
internal static class TorchSide
{
    private const string Python = "/usr/bin/python3";

    /// <summary>PyTorch's result per case name, or null with the reason when PyTorch cannot be run.</summary>
    /// <param name="specs">The cases as <see cref="Case.Spec"/> and <see cref="FashionEpoch.Spec"/> describe them.</param>
    public static (Dictionary<string, TorchResult>? Results, string Note) Run(IReadOnlyList<Dictionary<string, object>> specs, int threads, int warmup, int reps, double windowMs, bool cpuTime)
    {
        var script = Repository.Find(Path.Combine("tools", "bench", "torch_bench.py"));
        if (script is null) return (null, "PyTorch not measured: tools/bench/torch_bench.py not found (run from the repository).");
        if (!File.Exists(Python)) return (null, $"PyTorch not measured: {Python} is missing.");
        var psi = new ProcessStartInfo(Python, [script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["OPENBLAS_CORETYPE"] = "SkylakeX";
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        psi.Environment["MKL_NUM_THREADS"] = threads.ToString();
        using var p = Process.Start(psi)!;
        var request = new Dictionary<string, object>
        {
            ["threads"] = threads, ["warmup"] = warmup, ["reps"] = reps, ["window_ms"] = windowMs, ["cpu_time"] = cpuTime,
            ["cases"] = specs,
        };
        p.StandardInput.Write(JsonSerializer.Serialize(request));
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            string err = stderr.Result;
            return err.Contains("No module named 'torch'")
                ? (null, "PyTorch not measured: torch is not installed for /usr/bin/python3 (apt-get install python3-torch).")
                : (null, $"PyTorch not measured: torch_bench.py exited with {p.ExitCode}: {Last(err)}");
        }
        using var doc = JsonDocument.Parse(stdout);
        var results = new Dictionary<string, TorchResult>();
        foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
            results[r.GetProperty("name").GetString()!] = new TorchResult(r.GetProperty("median_ms").GetDouble(),
                r.TryGetProperty("test_accuracy", out var accuracy) ? accuracy.GetDouble() : null);
        return (results, $"PyTorch {doc.RootElement.GetProperty("torch").GetString()} with {doc.RootElement.GetProperty("threads").GetInt32()} thread(s), measured in the same run; " +
            $"peak resident set of its process: {doc.RootElement.GetProperty("peak_rss_mb").GetDouble():F0} MB.");
    }

    private static string Last(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? "(no message)" : lines[^1];
    }
}

/// <summary>PyTorch's median milliseconds of a case, and its test accuracy for a training epoch.</summary>
internal sealed record TorchResult(double MedianMs, double? TestAccuracy);
