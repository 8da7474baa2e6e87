using System.Runtime.CompilerServices;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// The process-wide cap on the threads the kernels' parallel loops use. It is read once, from the
/// environment variable <c>CNN_THREADS</c> (a positive integer; unset, empty or invalid means
/// <see cref="Environment.ProcessorCount"/>), and can be lowered or raised later with <see cref="SetMaxThreads"/>.
/// </summary>
/// <remarks>
/// Every kernel splits its work into items fixed by the problem's sizes alone, never by the thread
/// count, so results are bit for bit the same whatever the cap.
/// </remarks>
public static class Parallelism
{
    private static int _maxThreads = FromEnvironment();

    /// <summary>The most threads a kernel's parallel loop uses (at least 1).</summary>
    public static int MaxThreads => Volatile.Read(ref _maxThreads);

    /// <summary>Sets the cap on the threads the kernels use from now on.</summary>
    /// <param name="threads">At least 1.</param>
    public static void SetMaxThreads(int threads)
    {
        if (threads < 1)
            throw new ArgumentException($"Parallelism.SetMaxThreads expects at least 1 thread but got {threads}.");
        Volatile.Write(ref _maxThreads, threads);
    }

    /// <summary>
    /// Runs <paramref name="body"/> for every i in [from, to): in parallel (up to <see cref="MaxThreads"/>
    /// threads) when <paramref name="parallel"/> and more than one item and thread are available, else in order on the calling thread.
    /// </summary>
    /// <remarks>
    /// NOTE: the threads take the items one at a time from a shared counter (<see cref="Workers"/>). Parallel.For's
    /// threads claim growing runs of indices, and its calling thread often claimed most of a kernel's few large items
    /// before the pool thread started, so two threads ran little faster than one.
    /// </remarks>
    public static void For(int from, int to, Action<int> body, bool parallel = true)
    {
        if (!parallel || to - from <= 1 || MaxThreads <= 1)
        {
            for (int i = from; i < to; i++) body(i);
            return;
        }
        int next = from;
        Workers(to - from, _ =>
        {
            for (int i = Interlocked.Increment(ref next) - 1; i < to; i = Interlocked.Increment(ref next) - 1) body(i);
        });
    }

    /// <summary>
    /// Runs <paramref name="body"/>(w) for every w in [0, min(<see cref="MaxThreads"/>, <paramref name="count"/>)) at
    /// once, w = 0 on the calling thread and the others on the polling <see cref="KernelThreads"/> (on thread-pool
    /// tasks while those run another loop), and returns when all have. For bodies that take their items from a
    /// shared counter one at a time (as <see cref="For"/> does). Each item's result must not depend on which body runs it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Workers(int count, Action<int> body)
    {
        int threads = Math.Min(MaxThreads, count);
        if (threads <= 1)
        {
            if (count > 0) body(0);
            return;
        }
        if (KernelThreads.TryRun(threads, body)) return;
        var others = new Task[threads - 1];
        for (int w = 1; w < threads; w++)
        {
            int id = w;
            others[w - 1] = Task.Run(() => body(id));
        }
        try
        {
            body(0);
        }
        finally
        {
            // NOTE: always waited for, even when body 0 throws: the bodies may use memory the caller pins.
            Task.WaitAll(others);
        }
    }

    private static int FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("CNN_THREADS");
        return int.TryParse(text, out int n) && n >= 1 ? n : Environment.ProcessorCount;
    }
}
