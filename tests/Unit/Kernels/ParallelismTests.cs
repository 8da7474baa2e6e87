using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

/// <summary>The kernels' parallel loop: every item once, serial order when not parallel, errors surfaced after every thread stopped.</summary>
public class ParallelismTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void For_RunsEveryIndexExactlyOnce(int threads)
    {
        var counts = new int[1000];
        Threads.With(threads, () =>
        {
            Parallelism.For(7, 1000, i => Interlocked.Increment(ref counts[i]));
            return 0;
        });
        Assert.All(counts.Take(7), c => Assert.Equal(0, c));
        Assert.All(counts.Skip(7), c => Assert.Equal(1, c));
    }

    [Fact]
    public void For_NotParallel_RunsInOrderOnTheCallingThread()
    {
        var seen = new List<(int Index, int Thread)>();
        Threads.With(2, () =>
        {
            Parallelism.For(0, 50, i => seen.Add((i, Environment.CurrentManagedThreadId)), parallel: false);
            return 0;
        });
        Assert.Equal(Enumerable.Range(0, 50), seen.Select(s => s.Index));
        Assert.All(seen, s => Assert.Equal(Environment.CurrentManagedThreadId, s.Thread));
    }

    [Fact]
    public void For_ABodyThrows_TheErrorSurfacesOnceEveryThreadHasStopped()
    {
        int running = 0;
        var error = Record.Exception(() => Threads.With(2, () =>
        {
            Parallelism.For(0, 200, i =>
            {
                Interlocked.Increment(ref running);
                try
                {
                    Thread.SpinWait(2000);
                    if (i == 5) throw new InvalidOperationException("item 5");
                }
                finally { Interlocked.Decrement(ref running); }
            });
            return 0;
        }));
        Assert.NotNull(error);
        var inner = error is AggregateException a ? a.Flatten().InnerExceptions.Single() : error;
        Assert.Equal("item 5", inner.Message);
        Assert.Equal(0, Volatile.Read(ref running));
    }

    [Fact]
    public async Task For_LoopsFromSeveralThreadsAtOnce_WithPausesThatLetTheThreadsBlock_EachRunEveryIndexOnce()
    {
        // Several callers race for the polling threads (the losers run on pool tasks), and the pauses let idle
        // threads block, so a lost wake-up shows as a hang.
        static bool Loops(int seed)
        {
            for (int rep = 0; rep < 200; rep++)
            {
                var counts = new int[40 + seed];
                Parallelism.For(0, counts.Length, i => Interlocked.Increment(ref counts[i]));
                if (counts.Any(c => c != 1)) return false;
                if (rep % 40 == seed) Thread.Sleep(4);
            }
            return true;
        }
        int before = Parallelism.MaxThreads;
        Parallelism.SetMaxThreads(3);
        try
        {
            var all = Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() => Loops(t))));
            Assert.True(await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60))) == all, "parallel loops did not finish");
            Assert.All(await all, Assert.True);
        }
        finally { Parallelism.SetMaxThreads(before); }
    }

    [Fact]
    public async Task For_NestedLoops_Complete()
    {
        var sums = new long[8];
        var done = Task.Run(() => Threads.With(2, () =>
        {
            Parallelism.For(0, 8, i => Parallelism.For(0, 100, j => Interlocked.Add(ref sums[i], j)));
            return 0;
        }));
        Assert.True(await Task.WhenAny(done, Task.Delay(TimeSpan.FromSeconds(30))) == done, "nested parallel loops did not finish");
        Assert.All(sums, s => Assert.Equal(4950, s));
    }
}
