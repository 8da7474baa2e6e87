using System.Runtime.InteropServices;

namespace Cnn.Benchmarks.E2E;

/// <summary>The process's CPU time over all its threads (clock_gettime(CLOCK_PROCESS_CPUTIME_ID)), as Python's time.process_time.</summary>
internal static partial class CpuClock
{
    private const int ProcessCpuTimeId = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>CPU milliseconds used by this process so far.</summary>
    public static double Milliseconds()
    {
        if (ClockGetTime(ProcessCpuTimeId, out var t) != 0)
            throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed: --cpu-time needs Linux.");
        return t.Seconds * 1e3 + t.Nanoseconds / 1e6;
    }
}
