using System.Diagnostics;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// The threads that run the kernels' parallel loops besides the calling thread: dedicated background threads
/// that, after a loop, keep polling for the next one for <see cref="SpinTicks"/> before they block (unless there are
/// more kernel threads than processors).
/// </summary>
/// <remarks>
/// NOTE: a training step runs hundreds of parallel loops of 0.1 to 5 ms, separated by short serial stretches. A
/// thread-pool thread that went to sleep in between took up to a millisecond to wake on the development VM (its
/// idle virtual CPU is descheduled), so the calling thread had done most of a loop's items alone before the second
/// thread arrived. Polling threads start within microseconds, as OpenMP's threads, which spin before they sleep,
/// do for PyTorch. One loop uses the threads at a time; a loop started while they are busy (from another thread,
/// or nested in a loop's body) runs its other bodies on thread-pool tasks instead.
/// </remarks>
internal static class KernelThreads
{
    // How long a thread polls for the next loop before it blocks (2 ms).
    private static readonly long SpinTicks = Stopwatch.Frequency / 500;

    private static Worker[] _workers = [];
    private static int _busy;

    // The current loop: its body, the workers that take part (ids 1..count-1) and how many of them are still running.
    private static Action<int>? _body;
    private static int _participants, _running, _generation;
    private static Exception? _error;

    /// <summary>
    /// Runs <paramref name="body"/>(w) for w in [0, <paramref name="count"/>) at once, w = 0 on the calling thread,
    /// and returns when all have finished; false (nothing run) when another loop is using the threads.
    /// </summary>
    /// <exception cref="AggregateException">A body on another thread threw (after every body has finished).</exception>
    public static bool TryRun(int count, Action<int> body)
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return false;
        try
        {
            var workers = Ensure(count - 1);
            _body = body;
            _error = null;
            _participants = count - 1;
            Volatile.Write(ref _running, count - 1);
            Interlocked.Increment(ref _generation);
            for (int w = 0; w < count - 1; w++) workers[w].Wake();
            try
            {
                body(0);
            }
            finally
            {
                // NOTE: waited for even when body 0 throws: the bodies may use memory the caller pins.
                var spin = new SpinWait();
                while (Volatile.Read(ref _running) > 0) spin.SpinOnce(-1);
                _body = null;
            }
            if (_error is { } e) throw new AggregateException(e);
            return true;
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    // At least `n` started workers (only called by the loop that holds the threads, so never concurrently).
    private static Worker[] Ensure(int n)
    {
        if (_workers.Length < n)
        {
            var grown = new Worker[n];
            Array.Copy(_workers, grown, _workers.Length);
            for (int w = _workers.Length; w < n; w++) grown[w] = new Worker(w + 1);
            _workers = grown;
        }
        return _workers;
    }

    private sealed class Worker
    {
        private readonly int _id;
        private readonly SemaphoreSlim _wake = new(0);
        private int _sleeping;

        // The generation the thread has seen: read here, before the caller starts the loop this thread is made for.
        private int _seen = Volatile.Read(ref _generation);

        public Worker(int id)
        {
            _id = id;
            new Thread(Loop) { IsBackground = true, Name = $"Cnn kernel thread {id}" }.Start();
        }

        // Unblocks the thread if it blocked waiting for a loop.
        public void Wake()
        {
            if (Interlocked.Exchange(ref _sleeping, 0) == 1) _wake.Release();
        }

        private void Loop()
        {
            while (true)
            {
                _seen = WaitForLoop(_seen);
                if (_id > Volatile.Read(ref _participants)) continue;
                try
                {
                    _body!(_id);
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref _error, e, null);
                }
                finally
                {
                    Interlocked.Decrement(ref _running);
                }
            }
        }

        // Polls, then blocks, until the generation differs from `seen`; returns the new one.
        private int WaitForLoop(int seen)
        {
            long start = Stopwatch.GetTimestamp();
            while (true)
            {
                int g = Volatile.Read(ref _generation);
                if (g != seen) return g;
                // NOTE: with more kernel threads than processors a polling thread would take a core from a working one.
                if (Parallelism.MaxThreads <= Environment.ProcessorCount && Stopwatch.GetTimestamp() - start < SpinTicks)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                // Announce the sleep, then look again (the caller bumps the generation, then reads the announcement:
                // one of the two sees the other's write), and block.
                Interlocked.Exchange(ref _sleeping, 1);
                if (Volatile.Read(ref _generation) == seen) _wake.Wait();
                Interlocked.Exchange(ref _sleeping, 0);
                start = Stopwatch.GetTimestamp();
            }
        }
    }
}
