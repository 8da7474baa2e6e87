using System.Diagnostics;
using System.Globalization;
using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// The end-to-end benchmark: measures the FP32 peak, then every case on our side and on PyTorch's with the
/// same shapes, batch, thread count, warm-up and repetitions, and prints medians, GFLOP/s, % of peak and
/// the ratio (PyTorch's time over ours: above 1 we are faster); then one epoch of the Fashion-MNIST recipe on
/// each side, timed once, with its test accuracy.
/// </summary>
internal static class Runner
{
    private sealed record Result(double MedianMs, double AllocatedBytesPerRun, double GcPercent);

    /// <summary>The cases: products, convolutions forward and forward+backward, and training steps.</summary>
    public static List<Case> Cases()
    {
        var cases = new List<Case>();
        foreach (int n in new[] { 256, 512, 1024 }) cases.Add(new MatMulCase(n, NewOutput: false));
        foreach (int n in new[] { 256, 512, 1024 }) cases.Add(new MatMulCase(n, NewOutput: true));
        // float64: no target, reported for completeness (its peak is half the FP32 one).
        cases.Add(new MatMulCase(1024, NewOutput: false, DType.Float64));
        foreach (bool backward in new[] { false, true })
        {
            cases.Add(new ConvCase("3->32@32x32 k3", 64, 3, 32, 32, 3, 1, 1, backward));
            cases.Add(new ConvCase("32->64@16x16 k3", 64, 32, 64, 16, 3, 1, 1, backward));
            cases.Add(new ConvCase("64->64@32x32 k3", 64, 64, 64, 32, 3, 1, 1, backward));
            cases.Add(new ConvCase("128->128@16x16 k3", 64, 128, 128, 16, 3, 1, 1, backward));
            cases.Add(new ConvCase("256->256@8x8 k3", 64, 256, 256, 8, 3, 1, 1, backward));
            cases.Add(new ConvCase("depthwise 64@32x32 k3", 64, 64, 64, 32, 3, 1, 64, backward));
            cases.Add(new ConvCase("pointwise 64->128@32x32", 64, 64, 128, 32, 1, 0, 1, backward));
        }
        cases.Add(new ConvCase("64->64@32x32 k3", 64, 64, 64, 32, 3, 1, 1, Backward: true, DType.Float64));
        cases.Add(new ConvCase("depthwise 64@32x32 k3", 64, 64, 64, 32, 3, 1, 64, Backward: true, DType.Float64));
        cases.Add(new TrainCase("resnet", 64));
        foreach (int b in new[] { 16, 32, 64, 128, 256 }) cases.Add(new TrainCase("cifar", b));
        return cases;
    }

    public static int Run(string[] args)
    {
        int? threads = null;
        bool quick = false, cpu = false;
        string? filter = null, data = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads" when i + 1 < args.Length && int.TryParse(args[i + 1], out int t) && t >= 1:
                    threads = t;
                    i++;
                    break;
                case "--quick":
                    quick = true;
                    break;
                case "--cpu-time":
                    cpu = true;
                    break;
                case "--filter" when i + 1 < args.Length:
                    filter = args[++i];
                    break;
                case "--data" when i + 1 < args.Length:
                    data = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"Unknown argument '{args[i]}'. Usage: e2e [--threads N] [--quick] [--cpu-time] [--filter TEXT|TEXT...] [--data DIR]");
                    return 2;
            }
        }
        int warmup = quick ? 2 : 3, reps = quick ? 3 : 10;
        double window = quick ? 0 : WindowMs;
        // A case runs when its name contains one of the filter's '|'-separated parts.
        bool Selected(string name) => filter is null || filter.Split('|').Any(f => name.Contains(f, StringComparison.OrdinalIgnoreCase));
        var cases = Cases().Where(c => Selected(c.Name)).ToList();
        var epoch = Selected(FashionEpoch.Name) ? FashionEpoch.Create(data) : null;
        var counts = threads is int tc ? new[] { tc } : new[] { 1, 2 };
        Console.WriteLine($"# End-to-end benchmark: float32, NCHW; {warmup} warm-up and {reps} or more timed runs per case (as many as fill {window / 1000:F1} s, up to {MaxRepsFactor * reps}), medians of {(cpu ? "process CPU time (all threads; for a loaded machine)" : "wall-clock time")}");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} logical cores, .NET {Environment.Version}, {Peak.Width}; started {DateTime.Now:yyyy-MM-dd HH:mm}; load average {LoadAverage()}");
        foreach (int t in counts)
        {
            Parallelism.SetMaxThreads(t);
            double peak = Peak.Gflops(t, cpu);
            Console.WriteLine();
            Console.WriteLine($"## {t} thread(s): measured FP32 peak {peak:F1} GFLOP/s ({Peak.Width} FMA chains on {t} thread(s)); load average {LoadAverage()}");
            // NOTE: the sides take turns case by case, so both measure a case within seconds of each other: the VM's
            // slow spells last tens of seconds, and measuring all our cases before all of PyTorch's let one spell
            // slow down one side of a case only.
            var ours = new Dictionary<string, Result>();
            var torch = new Dictionary<string, TorchResult>();
            string? failure = null;
            using var peer = cases.Count > 0 || epoch is not null ? TorchSide.Start(t, warmup, reps, window, cpu, out failure) : null;
            foreach (var c in cases)
            {
                ours[c.Name] = Measure(c, c.Warmup(warmup), reps, window, cpu);
                if (failure is null && peer?.Measure(c.Spec(), out failure) is { } theirs) torch[c.Name] = theirs;
            }
            string? skipped = null;
            var ourEpoch = epoch?.Run(warmup, out skipped);
            if (ourEpoch is not null && failure is null && peer?.Measure(epoch!.Spec(ourEpoch), out failure) is { } theirEpoch)
                torch[FashionEpoch.Name] = theirEpoch;
            double? peerPeak = failure is null ? peer?.Finish() : null;
            Console.WriteLine(peer is null || failure is not null ? failure ?? "PyTorch not run: no case to measure." :
                $"{peer.Description}, each case measured right after ours; peak resident set of its process: {(peerPeak is double mb ? $"{mb:F0} MB" : "n/a")}.");
            // NOTE: at start-up the JIT's background compilation can take part of a core from the FMA loop, so the
            // peak is measured again after the cases and the larger figure is the one percentages refer to.
            double again = Peak.Gflops(t, cpu);
            if (again > peak) Console.WriteLine($"Measured FP32 peak again after the cases: {again:F1} GFLOP/s; percentages below use it.");
            peak = Math.Max(peak, again);
            if (cases.Count > 0) PrintCases(cases, ours, torch, peak);
            if (epoch is not null) PrintEpoch(epoch, ourEpoch, skipped, torch, warmup);
            Console.WriteLine();
            Console.WriteLine($"Load average after the {t}-thread runs: {LoadAverage()}");
            if (Busy(t))
                Console.WriteLine($"WARNING: the load average exceeds the benchmark's own {t} thread(s): other processes competed for the CPU, so these timings (both sides) are unreliable; re-run on an idle machine.");
        }
        Console.WriteLine($"Peak working set of this process: {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB " +
            "(compare it with PyTorch's above when both ran one case alone, e.g. --filter \"train resnet\" --threads 2).");
        return 0;
    }

    private static void PrintCases(List<Case> cases, Dictionary<string, Result> ours, Dictionary<string, TorchResult> torch, double peak)
    {
        Console.WriteLine();
        Console.WriteLine("| case | ours ms | ours GFLOP/s | ours % peak | torch ms | torch GFLOP/s | torch % peak | torch ms / ours ms |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in cases)
        {
            double ms = ours[c.Name].MedianMs, gf = c.Flops / ms / 1e6;
            double casePeak = peak * c.PeakShare;
            string row = $"| {c.Name} | {F(ms, 2)} | {F(gf, 1)} | {F(100 * gf / casePeak, 0)}% |";
            if (torch.TryGetValue(c.Name, out var tr))
            {
                double tms = tr.MedianMs, tgf = c.Flops / tms / 1e6;
                row += $" {F(tms, 2)} | {F(tgf, 1)} | {F(100 * tgf / casePeak, 0)}% | {F(tms / ms, 2)}x |";
            }
            else row += " n/a | n/a | n/a | n/a |";
            Console.WriteLine(row);
        }
        var training = cases.Where(c => c.Training).ToList();
        if (training.Count > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| training step | ours ms | ours images/s | torch ms | torch images/s | managed MB allocated per step | % time in GC |");
            Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var c in training.Cast<TrainCase>())
            {
                var r = ours[c.Name];
                string tms = torch.TryGetValue(c.Name, out var v) ? $"{F(v.MedianMs, 2)} | {F(c.Batch * 1000 / v.MedianMs, 0)}" : "n/a | n/a";
                Console.WriteLine($"| {c.Name} | {F(r.MedianMs, 2)} | {F(c.Batch * 1000 / r.MedianMs, 0)} | {tms} | {F(r.AllocatedBytesPerRun / 1e6, 1)} | {F(r.GcPercent, 1)}% |");
            }
        }
    }

    private static void PrintEpoch(FashionEpoch epoch, FashionEpoch.Outcome? ours, string? skipped, Dictionary<string, TorchResult> torch, int warmup)
    {
        Console.WriteLine();
        Console.WriteLine($"One epoch of the Fashion-MNIST default recipe ({epoch.DataDirectory}): FashionLeNet, Adam 1e-3, batch 64 shuffled, 60,000 images " +
            $"(938 steps) after {warmup} untimed warm-up steps; wall-clock time of ONE timed epoch per side (no repetitions), then the accuracy on the 10,000 test images (not timed). " +
            "PyTorch starts from our initial parameters and visits the images in our order, so the accuracies differ only by rounding (about 0.2 points).");
        if (ours is null)
        {
            Console.WriteLine($"Skipped: {skipped}");
            return;
        }
        double s = ours.Seconds, acc = ours.TestAccuracy;
        string theirs = torch.TryGetValue(FashionEpoch.Name, out var r) && r.TestAccuracy is double tacc
            ? $"{F(r.MedianMs / 1000, 1)} | {F(100 * tacc, 2)}% | {F(r.MedianMs / 1000 / s, 2)}x"
            : "n/a | n/a | n/a";
        Console.WriteLine();
        Console.WriteLine("| case | ours s | ours test acc | torch s | torch test acc | torch s / ours s |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Console.WriteLine($"| {FashionEpoch.Name} | {F(s, 1)} | {F(100 * acc, 2)}% | {theirs} |");
    }

    // NOTE: the VM's noise comes in bursts that can cover all ten runs of a fast case (ten 1024 products take 55 ms),
    // so each side repeats a case until its timed runs fill about this long a window, taking the count from its own
    // last warm-up run (tools/bench/torch_bench.py does the same).
    private const double WindowMs = 1000;

    private const int MaxRepsFactor = 20;

    /// <summary>The timed runs of a case whose last warm-up run took <paramref name="lastMs"/>: at least
    /// <paramref name="reps"/>, as many as fill <paramref name="windowMs"/>, at most <see cref="MaxRepsFactor"/> times <paramref name="reps"/>.</summary>
    private static int Repetitions(double lastMs, int reps, double windowMs) =>
        (int)Math.Clamp(Math.Ceiling(windowMs / Math.Max(lastMs, 1e-3)), reps, MaxRepsFactor * reps);

    private static Result Measure(Case c, int warmup, int reps, double window, bool cpu)
    {
        var run = c.Prepare();
        var last = Stopwatch.StartNew();
        for (int i = 0; i < warmup; i++)
        {
            last.Restart();
            run();
        }
        reps = Repetitions(last.Elapsed.TotalMilliseconds, reps, window);
        var times = new double[reps];
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var pause = GC.GetTotalPauseDuration();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < reps; i++)
        {
            double t0 = cpu ? CpuClock.Milliseconds() : 0;
            var sw = Stopwatch.StartNew();
            run();
            times[i] = cpu ? CpuClock.Milliseconds() - t0 : sw.Elapsed.TotalMilliseconds;
        }
        double elapsed = total.Elapsed.TotalMilliseconds;
        double gc = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;
        double bytes = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)reps;
        Array.Sort(times);
        double median = reps % 2 == 1 ? times[reps / 2] : (times[reps / 2 - 1] + times[reps / 2]) / 2;
        return new Result(median, bytes, 100 * gc / elapsed);
    }

    private static string F(double v, int digits) => v.ToString("F" + digits, CultureInfo.InvariantCulture);

    // Whether the 1-minute load average shows more than the benchmark's own threads (and half a task of noise)
    // competing for the cores.
    private static bool Busy(int ownThreads)
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture) > ownThreads + 0.5;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
