using Cnn.Autodiff.Kernels;

namespace Cnn.Unit;

/// <summary>Runs code with the kernels capped at a number of threads, and restores the previous cap afterwards.</summary>
internal static class Threads
{
    public static T With<T>(int threads, Func<T> run)
    {
        int before = Parallelism.MaxThreads;
        Parallelism.SetMaxThreads(threads);
        try
        {
            return run();
        }
        finally
        {
            Parallelism.SetMaxThreads(before);
        }
    }
}
