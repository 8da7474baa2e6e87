using System.Diagnostics;
using Cnn.Autodiff.Kernels;
using Cnn.Benchmarks.E2E;

namespace Cnn.Benchmarks.Kernels;

/// <summary>
/// Kernel-only timing of the float32 convolution kernels (forward, transpose = input gradient, weight gradient) at
/// batch 64 (or --batch) on the end-to-end shapes (the 3x3 convolutions, the depthwise 3x3 and the pointwise 1x1): buffers allocated once and reused, medians (and minima) of many runs after a warm-up,
/// on 1 and 2 threads, against the measured FMA peak of that many threads.
/// Usage: <c>conv-timing [--runs N] [--threads 1,2] [--filter text] [--cpu-time true] [--batch 64]</c>; with <c>--cpu-time</c> the
/// times are the process's CPU time (all threads), steadier than wall time on a loaded machine.
/// </summary>
public static class ConvTiming
{
    private static readonly (string Name, int Cin, int Cout, int Size, int Kernel, int Groups)[] Cases =
    [
        ("3->32@32", 3, 32, 32, 3, 1), ("32->32@32", 32, 32, 32, 3, 1), ("32->64@16", 32, 64, 16, 3, 1),
        ("64->64@32", 64, 64, 32, 3, 1), ("128->128@16", 128, 128, 16, 3, 1), ("256->256@8", 256, 256, 8, 3, 1),
        ("dw64@32", 64, 64, 32, 3, 64), ("pw64->128@32", 64, 128, 32, 1, 1),
    ];

    public static int Run(string[] args)
    {
        int runs = 25;
        int[] threads = [1, 2];
        string filter = "";
        bool cpuTime = false;
        int batch = 64;
        for (int i = 0; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--runs": runs = int.Parse(args[i + 1]); break;
                case "--threads": threads = args[i + 1].Split(',').Select(int.Parse).ToArray(); break;
                case "--filter": filter = args[i + 1]; break;
                case "--cpu-time": cpuTime = args[i + 1] == "true"; break;
                case "--batch": batch = int.Parse(args[i + 1]); break;
                default: throw new ArgumentException($"conv-timing: unknown option {args[i]}.");
            }
        foreach (int t in threads)
        {
            Parallelism.SetMaxThreads(t);
            double peak = Peak.Gflops(t, cpuTime);
            Console.WriteLine($"threads {t}: FMA peak {peak:F0} GFLOP/s");
            Console.WriteLine($"{"case",-14}{"kernel",-12}{"ms",9}{"GFLOP/s",9}{"% peak",8}{"min ms",9}{"% peak",8}");
            foreach (var (name, cin, cout, size, k, groups) in Cases)
            {
                if (!name.Contains(filter)) continue;
                int pad = k / 2;
                var g = new Conv2dGeometry(batch, cin, size, size, cout, k, k, size, size, 1, 1, pad, pad, 1, 1, groups);
                var rnd = new Random(1);
                float[] R(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = (float)rnd.NextDouble() - 0.5f; return a; }
                // Inputs stay as drawn: outputs go to their own buffers, so values do not grow run after run.
                float[] x = R(batch * cin * size * size), w = R(cout * cin / groups * k * k), gy = R(batch * cout * size * size);
                float[] y = new float[gy.Length], gx = new float[x.Length], gw = new float[w.Length];
                double flops = 2.0 * g.MacsPerSample * batch, total = 0, totalMin = 0;
                foreach (var (kernel, body) in new (string, Action)[]
                {
                    ("Forward", () => Conv2dKernels.Forward(x, w, null, y, g)),
                    ("Transpose", () => Conv2dKernels.Transpose(gy, w, null, gx, g)),
                    ("WeightGrad", () => Conv2dKernels.WeightGrad(x, gy, gw, g)),
                })
                {
                    var (ms, min) = Time(body, runs, cpuTime);
                    (total, totalMin) = (total + ms, totalMin + min);
                    Report(name, kernel, ms, min, flops, peak);
                }
                Report(name, "all three", total, totalMin, 3 * flops, peak);
            }
        }
        return 0;
    }

    private static void Report(string name, string kernel, double ms, double min, double flops, double peak)
    {
        double gflops = flops / ms / 1e6, best = flops / min / 1e6;
        Console.WriteLine($"{name,-14}{kernel,-12}{ms,9:F3}{gflops,9:F1}{100 * gflops / peak,7:F0}%{min,9:F3}{100 * best / peak,7:F0}%");
    }

    // The median time of `runs` calls after a warm-up; and the fastest, steadier on a loaded machine.
    private static (double Median, double Min) Time(Action body, int runs, bool cpuTime)
    {
        for (int i = 0; i < 3; i++) body();
        var times = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            double c0 = cpuTime ? CpuClock.Milliseconds() : 0;
            body();
            times[i] = cpuTime ? CpuClock.Milliseconds() - c0 : Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        Array.Sort(times);
        return (times[runs / 2], times[0]);
    }
}
