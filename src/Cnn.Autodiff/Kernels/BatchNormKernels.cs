using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Batch normalisation over a tensor seen as [N, C, S] (S the product of the axes after the channel
/// axis, 1 for [N, C]): channel c owns the N planes x[n, c, 0..S), m = N*S values in all. Each kernel
/// runs one channel per work item, from start to end on one thread, so results do not depend on the
/// thread count. Sums are taken in double: runs of 32 vectors are added in T (16 values per vector
/// lane), and each run's total is added in double.
/// </summary>
public static class BatchNormKernels
{
    // Below this many elements a kernel runs on the calling thread.
    private const long ParallelWork = 1 << 15;

    /// <summary>1 / sqrt(variance + eps), the scale that normalises a channel.</summary>
    public static double InvStd(double variance, double eps) => 1 / Math.Sqrt(variance + eps);

    /// <summary>
    /// The training forward: for every channel c, mean[c] = sum(x) / m and the biased
    /// variance[c] = sum((x - mean)^2) / m (two passes, the second corrected by the sum of the
    /// deviations), then y = (x - mean) * invstd * weight + bias with invstd = <see cref="InvStd"/>.
    /// </summary>
    /// <param name="x">[N, C, S]</param>
    /// <param name="y">[N, C, S], written.</param>
    /// <param name="weight">[C], or null for 1.</param>
    /// <param name="bias">[C], or null for 0.</param>
    /// <param name="mean">[C], written.</param>
    /// <param name="variance">[C], written.</param>
    public static void ForwardTraining<T>(T[] x, T[] y, T[]? weight, T[]? bias, int n, int c, int s, double eps, double[] mean, double[] variance)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBuffers("ForwardTraining", n, c, s, x, y, weight, bias, mean, variance);
        Parallelism.For(0, c, ch =>
        {
            var (mu, v) = Moments(x, n, c, s, ch);
            mean[ch] = mu;
            variance[ch] = v;
            NormalizeChannel(x, y, weight, bias, n, c, s, ch, mu, InvStd(v, eps));
        }, (long)n * c * s >= ParallelWork);
    }

    /// <summary>y = (x - mean[c]) * invStd[c] * weight[c] + bias[c] with given statistics (evaluation).</summary>
    /// <param name="x">[N, C, S]</param>
    /// <param name="y">[N, C, S], written.</param>
    /// <param name="weight">[C], or null for 1.</param>
    /// <param name="bias">[C], or null for 0.</param>
    /// <param name="mean">[C]</param>
    /// <param name="invStd">[C]</param>
    public static void Normalize<T>(T[] x, T[] y, T[]? weight, T[]? bias, int n, int c, int s, double[] mean, double[] invStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBuffers("Normalize", n, c, s, x, y, weight, bias, mean, invStd);
        Parallelism.For(0, c, ch => NormalizeChannel(x, y, weight, bias, n, c, s, ch, mean[ch], invStd[ch]), (long)n * c * s >= ParallelWork);
    }

    /// <summary>
    /// The pullback of y = xhat * weight + bias with xhat = (x - mean) * invstd, for every channel c:
    /// gweight = sum(g * xhat), gbias = sum(g), and, with gxhat = g * weight,
    /// gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) when <paramref name="training"/>
    /// (the statistics are functions of x), gx = invstd * gxhat otherwise (they are constants).
    /// </summary>
    /// <param name="x">[N, C, S]</param>
    /// <param name="g">[N, C, S], the cotangent of y.</param>
    /// <param name="weight">[C], or null for 1.</param>
    /// <param name="mean">[C], the statistics the forward used.</param>
    /// <param name="invStd">[C], the statistics the forward used.</param>
    /// <param name="gx">[N, C, S], written.</param>
    /// <param name="gWeight">[C], written.</param>
    /// <param name="gBias">[C], written.</param>
    public static void Backward<T>(T[] x, T[] g, T[]? weight, int n, int c, int s, double[] mean, double[] invStd, bool training, T[] gx, T[] gWeight, T[] gBias)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        CheckBuffers("Backward", n, c, s, x, g, weight, gWeight, mean, invStd);
        CheckBuffers("Backward", n, c, s, x, gx, gBias, null, mean, invStd);
        double count = (double)n * s;
        Parallelism.For(0, c, ch =>
        {
            T center = T.CreateTruncating(mean[ch]);
            double sg = 0, sgd = 0;
            for (int p = ch * s; p < x.Length; p += c * s)
            {
                var (a, b) = Sums(new ReadOnlySpan<T>(g, p, s), T.Zero, new ReadOnlySpan<T>(x, p, s), center, product: true);
                sg += a;
                sgd += b;
            }
            double istd = invStd[ch], w = weight is null ? 1 : double.CreateTruncating(weight[ch]);
            gWeight[ch] = T.CreateTruncating(sgd * istd);
            gBias[ch] = T.CreateTruncating(sg);
            // gx = A g + B (x - mean) + C with A = w invstd, B = -A invstd^2 sum(g (x - mean)) / m, C = -A sum(g) / m.
            double scale = w * istd;
            T ga = T.CreateTruncating(scale);
            T gd = T.CreateTruncating(-scale * istd * istd * sgd / count), gc = T.CreateTruncating(-scale * sg / count);
            for (int p = ch * s; p < x.Length; p += c * s)
                if (training) Combine(new ReadOnlySpan<T>(g, p, s), new ReadOnlySpan<T>(x, p, s), new Span<T>(gx, p, s), ga, center, gd, gc);
                else Affine(new ReadOnlySpan<T>(g, p, s), new Span<T>(gx, p, s), T.Zero, ga, T.Zero);
        }, (long)n * c * s >= ParallelWork);
    }

    // The mean and biased variance of channel ch: the mean from a first pass, then the squared
    // deviations from it rounded to T, corrected by the square of their sum (the corrected two-pass algorithm).
    private static (double Mean, double Variance) Moments<T>(T[] x, int n, int c, int s, int ch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double count = (double)n * s, sum = 0;
        for (int p = ch * s; p < x.Length; p += c * s)
        {
            var plane = new ReadOnlySpan<T>(x, p, s);
            sum += Sums(plane, T.Zero, plane, T.Zero, product: false).First;
        }
        double mean = sum / count;
        T center = T.CreateTruncating(mean);
        double dev = 0, sq = 0;
        for (int p = ch * s; p < x.Length; p += c * s)
        {
            var plane = new ReadOnlySpan<T>(x, p, s);
            var (a, b) = Sums(plane, center, plane, center, product: true);
            dev += a;
            sq += b;
        }
        return (mean, Math.Max(0, (sq - dev * dev / count) / count));
    }

    // y = (x - mean) * (invstd * weight) + bias over the planes of channel ch.
    private static void NormalizeChannel<T>(T[] x, T[] y, T[]? weight, T[]? bias, int n, int c, int s, int ch, double mean, double invStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T center = T.CreateTruncating(mean);
        T scale = T.CreateTruncating(weight is null ? invStd : invStd * double.CreateTruncating(weight[ch]));
        T shift = bias is null ? T.Zero : bias[ch];
        for (int p = ch * s; p < x.Length; p += c * s)
            Affine(new ReadOnlySpan<T>(x, p, s), new Span<T>(y, p, s), center, scale, shift);
    }

    /// <summary>
    /// (sum(a - ca), sum((a - ca) * (b - cb))) when <paramref name="product"/>, else (sum(a - ca), 0),
    /// in double; a and b have the same length.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double First, double Second) Sums<T>(ReadOnlySpan<T> a, T ca, ReadOnlySpan<T> b, T cb, bool product) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        int w = Vector<T>.Count, run = 16 * 2 * w, len = a.Length;
        Vector<T> vca = new(ca), vcb = new(cb);
        double first = 0, second = 0;
        for (int start = 0; start < len; start += run)
        {
            int end = Math.Min(start + run, len), i = start;
            Vector<T> s0 = Vector<T>.Zero, s1 = Vector<T>.Zero, p0 = Vector<T>.Zero, p1 = Vector<T>.Zero;
            for (; i + 2 * w <= end; i += 2 * w)
            {
                var a0 = Vector.LoadUnsafe(ref ra, (nuint)i) - vca;
                var a1 = Vector.LoadUnsafe(ref ra, (nuint)(i + w)) - vca;
                s0 += a0;
                s1 += a1;
                if (product)
                {
                    p0 += a0 * (Vector.LoadUnsafe(ref rb, (nuint)i) - vcb);
                    p1 += a1 * (Vector.LoadUnsafe(ref rb, (nuint)(i + w)) - vcb);
                }
            }
            T sa = Vector.Sum(s0 + s1), sp = Vector.Sum(p0 + p1);
            for (; i < end; i++)
            {
                T v = Unsafe.Add(ref ra, i) - ca;
                sa += v;
                if (product) sp += v * (Unsafe.Add(ref rb, i) - cb);
            }
            first += double.CreateTruncating(sa);
            second += double.CreateTruncating(sp);
        }
        return (first, second);
    }

    /// <summary>d = (x - center) * scale + shift, elementwise; x and d have the same length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Affine<T>(ReadOnlySpan<T> x, Span<T> d, T center, T scale, T shift) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T rx = ref MemoryMarshal.GetReference(x);
        ref T rd = ref MemoryMarshal.GetReference(d);
        int w = Vector<T>.Count, i = 0, len = x.Length;
        Vector<T> vc = new(center), vs = new(scale), vk = new(shift);
        for (; i + w <= len; i += w)
            ((Vector.LoadUnsafe(ref rx, (nuint)i) - vc) * vs + vk).StoreUnsafe(ref rd, (nuint)i);
        for (; i < len; i++)
            Unsafe.Add(ref rd, i) = (Unsafe.Add(ref rx, i) - center) * scale + shift;
    }

    /// <summary>d = a * ka + (b - center) * kb + k, elementwise; a, b and d have the same length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Combine<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> d, T ka, T center, T kb, T k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ref T ra = ref MemoryMarshal.GetReference(a);
        ref T rb = ref MemoryMarshal.GetReference(b);
        ref T rd = ref MemoryMarshal.GetReference(d);
        int w = Vector<T>.Count, i = 0, len = a.Length;
        Vector<T> va = new(ka), vb = new(kb), vc = new(center), vk = new(k);
        for (; i + w <= len; i += w)
            (Vector.LoadUnsafe(ref ra, (nuint)i) * va + (Vector.LoadUnsafe(ref rb, (nuint)i) - vc) * vb + vk).StoreUnsafe(ref rd, (nuint)i);
        for (; i < len; i++)
            Unsafe.Add(ref rd, i) = Unsafe.Add(ref ra, i) * ka + (Unsafe.Add(ref rb, i) - center) * kb + k;
    }

    // Throws unless x and y hold N*C*S elements and the per-channel buffers p, q, r, t hold C (null ones are skipped).
    private static void CheckBuffers<T>(string kernel, int n, int c, int s, T[] x, T[] y, T[]? p, T[]? q, double[] r, double[] t)
    {
        long size = (long)n * c * s;
        if (n < 0 || c < 0 || s < 0 || x.Length != size || y.Length != size)
            throw new ArgumentException($"BatchNormKernels.{kernel} over [{n}, {c}, {s}] needs {size} elements but got buffers of {x.Length} and {y.Length}.");
        foreach (int length in new[] { p?.Length ?? c, q?.Length ?? c, r.Length, t.Length })
            if (length != c)
                throw new ArgumentException($"BatchNormKernels.{kernel} over [{n}, {c}, {s}] needs per-channel buffers of {c} elements but got one of {length}.");
    }
}
