using System.Diagnostics;
using System.Text.Json;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// PyTorch's side of the benchmark: tools/bench/torch_bench.py run by /usr/bin/python3 as a subprocess that stays
/// up for all the cases of one thread count. The settings go in as the first JSON line on its stdin; then each case
/// is one JSON line in and its result one JSON line out, so the two sides measure a case back to back. When stdin
/// closes, the script reports its peak resident set and exits. OPENBLAS_CORETYPE=SkylakeX and the thread count are
/// set in its environment; the script calls torch.set_num_threads with the same count.
/// </summary>
internal sealed class TorchSide : IDisposable
{
    private const string Python = "/usr/bin/python3";

    private readonly Process _process;
    private readonly Task<string> _stderr;

    private TorchSide(Process process)
    {
        _process = process;
        _stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>"PyTorch VERSION with N thread(s)", once it has started.</summary>
    public string Description { get; private set; } = "";

    /// <summary>
    /// Starts the script and waits until torch is imported (so the import does not overlap our first case); or
    /// returns null and why PyTorch cannot be measured.
    /// </summary>
    public static TorchSide? Start(int threads, int warmup, int reps, double windowMs, bool cpuTime, out string? failure)
    {
        var script = Repository.Find(Path.Combine("tools", "bench", "torch_bench.py"));
        failure = script is null ? "PyTorch not measured: tools/bench/torch_bench.py not found (run from the repository)."
            : !File.Exists(Python) ? $"PyTorch not measured: {Python} is missing." : null;
        if (failure is not null) return null;
        var psi = new ProcessStartInfo(Python, [script!])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["OPENBLAS_CORETYPE"] = "SkylakeX";
        psi.Environment["OMP_NUM_THREADS"] = threads.ToString();
        psi.Environment["OPENBLAS_NUM_THREADS"] = threads.ToString();
        psi.Environment["MKL_NUM_THREADS"] = threads.ToString();
        var side = new TorchSide(Process.Start(psi)!);
        var settings = new Dictionary<string, object>
        {
            ["threads"] = threads, ["warmup"] = warmup, ["reps"] = reps, ["window_ms"] = windowMs, ["cpu_time"] = cpuTime,
        };
        using var hello = side.Exchange(settings, out failure);
        if (hello is null)
        {
            side.Dispose();
            return null;
        }
        side.Description = $"PyTorch {hello.RootElement.GetProperty("torch").GetString()} with {hello.RootElement.GetProperty("threads").GetInt32()} thread(s)";
        return side;
    }

    /// <summary>PyTorch's result for one case (as <see cref="Case.Spec"/> or <see cref="FashionEpoch.Spec"/> describe it), or null and why.</summary>
    public TorchResult? Measure(Dictionary<string, object> spec, out string? failure)
    {
        using var r = Exchange(spec, out failure);
        return r is null ? null : new TorchResult(r.RootElement.GetProperty("median_ms").GetDouble(),
            r.RootElement.TryGetProperty("test_accuracy", out var accuracy) ? accuracy.GetDouble() : null);
    }

    /// <summary>Closes the script's stdin and returns the peak resident set it reports as it exits, in MB (null if it failed).</summary>
    public double? Finish()
    {
        _process.StandardInput.Close();
        string? line = _process.StandardOutput.ReadLine();
        _process.WaitForExit();
        if (line is null || _process.ExitCode != 0) return null;
        using var doc = JsonDocument.Parse(line);
        return doc.RootElement.GetProperty("peak_rss_mb").GetDouble();
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill();
        _process.Dispose();
    }

    // Writes one JSON line and reads the script's one-line reply; null and why when the script has died.
    private JsonDocument? Exchange(Dictionary<string, object> request, out string? failure)
    {
        failure = null;
        string? line = null;
        try
        {
            _process.StandardInput.WriteLine(JsonSerializer.Serialize(request));
            _process.StandardInput.Flush();
            line = _process.StandardOutput.ReadLine();
        }
        catch (IOException)
        {
        }
        if (line is not null) return JsonDocument.Parse(line);
        _process.WaitForExit();
        string err = _stderr.Result;
        failure = err.Contains("No module named 'torch'")
            ? "PyTorch not measured: torch is not installed for /usr/bin/python3 (apt-get install python3-torch)."
            : $"PyTorch not measured: torch_bench.py exited with {_process.ExitCode}: {Last(err)}";
        return null;
    }

    private static string Last(string text)
    {
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return lines.Length == 0 ? "(no message)" : lines[^1];
    }
}

/// <summary>PyTorch's median milliseconds of a case, and its test accuracy for a training epoch.</summary>
internal sealed record TorchResult(double MedianMs, double? TestAccuracy);
