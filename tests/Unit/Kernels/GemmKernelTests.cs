using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

public class GemmKernelTests
{
    private static readonly (bool TransA, bool TransB)[] Transposes = [(false, false), (false, true), (true, false), (true, true)];

    // op(A)[i, p] and op(B)[p, j] read straight from the storage layouts.
    private static double OpA<T>(T[] a, int i, int p, int m, int k, bool transA) where T : INumberBase<T> =>
        double.CreateTruncating(transA ? a[p * m + i] : a[i * k + p]);

    private static double OpB<T>(T[] b, int p, int j, int k, int n, bool transB) where T : INumberBase<T> =>
        double.CreateTruncating(transB ? b[j * k + p] : b[p * n + j]);

    private static T[] Random<T>(Random rnd, int length) where T : INumberBase<T>
    {
        var x = new T[length];
        for (int i = 0; i < x.Length; i++) x[i] = T.CreateTruncating(rnd.NextDouble() * 2 - 1);
        return x;
    }

    // The naive triple loop (in double) against the kernel, with a tolerance scaled by sum |a||b| and the element type's epsilon.
    private static void AssertMatchesNaive<T>(int m, int n, int k, bool transA, bool transB, bool accumulate, int seed)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rnd = new Random(seed);
        var a = Random<T>(rnd, m * k);
        var b = Random<T>(rnd, k * n);
        var c0 = Random<T>(rnd, m * n + 3);
        var c = (T[])c0.Clone();
        Gemm.Multiply<T>(a, b, c, m, n, k, transA, transB, accumulate);
        double eps = typeof(T) == typeof(float) ? 1e-6 : 1e-14;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = accumulate ? double.CreateTruncating(c0[i * n + j]) : 0, scale = Math.Abs(s);
                for (int p = 0; p < k; p++)
                {
                    double t = OpA(a, i, p, m, k, transA) * OpB(b, p, j, k, n, transB);
                    s += t;
                    scale += Math.Abs(t);
                }
                double got = double.CreateTruncating(c[i * n + j]);
                Assert.True(Math.Abs(got - s) <= eps * (k + 2) * (scale + 1),
                    $"C[{i}, {j}] of [{m}, {k}] x [{k}, {n}] (transA {transA}, transB {transB}, accumulate {accumulate}): expected {s} but got {got}");
            }
        for (int i = m * n; i < c.Length; i++) Assert.Equal(c0[i], c[i]);
    }

    public static IEnumerable<object[]> SmallSizes()
    {
        // Sizes around the micro-kernel tiles (Mr = 6 or 8; Nr = 8, 16 or 32) and the empty and unit cases.
        var rnd = new Random(12345);
        int[] special = [0, 1, 2, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 23, 24, 25, 31, 32, 33, 40];
        for (int t = 0; t < 24; t++)
            yield return [special[rnd.Next(special.Length)], special[rnd.Next(special.Length)], special[rnd.Next(special.Length)]];
        for (int t = 0; t < 16; t++)
            yield return [rnd.Next(1, 41), rnd.Next(1, 41), rnd.Next(1, 41)];
    }

    [Theory]
    [MemberData(nameof(SmallSizes))]
    public void Multiply_SmallSizes_EqualsNaiveLoop(int m, int n, int k)
    {
        foreach (var (ta, tb) in Transposes)
            foreach (var acc in new[] { false, true })
            {
                AssertMatchesNaive<float>(m, n, k, ta, tb, acc, m * 10000 + n * 100 + k);
                AssertMatchesNaive<double>(m, n, k, ta, tb, acc, m * 10000 + n * 100 + k);
            }
    }

    [Theory]
    [InlineData(67, 129, 45)]     // odd sizes spanning several tiles
    [InlineData(150, 70, 1100)]   // more rows than one packed block of A, deeper than one packed block of k
    [InlineData(3, 1100, 5)]      // wider than one packed block of B
    [InlineData(160, 200, 270)]   // above the parallel threshold
    public void Multiply_LargerSizes_EqualsNaiveLoop(int m, int n, int k)
    {
        foreach (var (ta, tb) in Transposes)
        {
            AssertMatchesNaive<float>(m, n, k, ta, tb, accumulate: (m & 1) == 0, seed: m + n + k);
            AssertMatchesNaive<double>(m, n, k, ta, tb, accumulate: (m & 1) == 1, seed: m + n + k);
        }
    }

    [Fact]
    public void Multiply_AboveParallelThreshold_BitwiseEqualsRowByRowProducts()
    {
        // Each row of C computed alone (one thread, different tiles) must match the parallel product bit for bit.
        int m = 130, n = 150, k = 600;
        var rnd = new Random(7);
        var a = Random<float>(rnd, m * k);
        var b = Random<float>(rnd, k * n);
        var c = new float[m * n];
        Gemm.Multiply<float>(a, b, c, m, n, k);
        var row = new float[n];
        for (int i = 0; i < m; i++)
        {
            Gemm.Multiply<float>(a.AsSpan(i * k, k), b, row, 1, n, k);
            Assert.Equal(row, c.AsSpan(i * n, n).ToArray());
        }
    }

    private static void AssertNaNPropagates<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        // A NaN (or infinity) in A times a zero row of B gives NaN in C, as the naive loop does.
        int m = 13, n = 35, k = 9;
        foreach (var (ta, tb) in Transposes)
            foreach (var special in new[] { T.NaN, T.PositiveInfinity })
            {
                var a = new T[m * k];
                var b = new T[k * n];
                b.AsSpan().Fill(T.One);
                int i = 5, p = 3;
                a[ta ? p * m + i : i * k + p] = special;
                for (int j = 0; j < n; j++) b[tb ? j * k + p : p * n + j] = T.Zero;
                var c = new T[m * n];
                Gemm.Multiply<T>(a, b, c, m, n, k, ta, tb);
                for (int r = 0; r < m; r++)
                    for (int j = 0; j < n; j++)
                        Assert.Equal(r == i, T.IsNaN(c[r * n + j]));
            }
    }

    [Fact]
    public void Multiply_NaNOrInfinityTimesZero_PropagatesNaN()
    {
        AssertNaNPropagates<float>();
        AssertNaNPropagates<double>();
    }

    [Fact]
    public void Multiply_NotAccumulating_IgnoresNaNInOutput()
    {
        var c = new[] { float.NaN };
        Gemm.Multiply<float>([2f], [3f], c, 1, 1, 1);
        Assert.Equal(6f, c[0]);
    }

    [Fact]
    public void Multiply_BufferTooSmall_ThrowsNamingSizes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[5], new float[6], new float[4], 2, 2, 3));
        Assert.Contains("[2, 3] x [3, 2]", ex.Message);
        Assert.Contains("5, 6 and 4", ex.Message);
    }

    [Theory]
    [InlineData(300, 200, 600, false, false)]   // more row slivers than column slivers: B is packed once and shared, tiles split the rows
    [InlineData(64, 128, 3136, false, true)]    // Linear-like: few rows, deep, weight read transposed
    [InlineData(2500, 40, 70, true, false)]     // tall: B shared
    [InlineData(40, 700, 300, false, false)]    // wide: A is packed once and shared, tiles split the columns
    [InlineData(1500, 1500, 1500, true, true)]  // both operands above the shared-packing limit: each tile packs its own blocks
    [InlineData(100, 400, 5500, false, true)]   // B above the limit though its slivers would be reused more: A shared
    [InlineData(20, 4100, 600, true, false)]    // wider than one packed block of B, which is above the limit: A shared
    public void Multiply_OneThreadAndSeveral_EqualBitwise(int m, int n, int k, bool transA, bool transB)
    {
        AssertThreadCountIndependent<float>(m, n, k, transA, transB);
        AssertMatchesNaive<float>(Math.Min(m, 70), n, k, transA, transB, accumulate: false, seed: 3);
    }

    [Theory]
    [InlineData(300, 200, 600, true, false)]
    [InlineData(40, 700, 300, false, true)]
    public void Multiply_OneThreadAndSeveral_EqualBitwise_Double(int m, int n, int k, bool transA, bool transB)
    {
        AssertThreadCountIndependent<double>(m, n, k, transA, transB);
        AssertMatchesNaive<double>(m, n, k, transA, transB, accumulate: true, seed: 4);
    }

    // The product (accumulating into a random C) on 1, 2 and 3 threads, equal bit for bit.
    [Theory]
    [InlineData(16, 32, 0, 32, false, 0, 16)]   // a tile of every sliver reads every chunk
    [InlineData(16, 32, 4, 8, false, 2, 4)]     // chunks of 2 slivers: slivers 4..7 are chunks 2 and 3
    [InlineData(16, 32, 5, 7, false, 2, 4)]     // a tile starting and ending inside chunks
    [InlineData(4, 10, 3, 5, false, 1, 2)]      // chunks of slivers [0, 2), [2, 5), [5, 7), [7, 10)
    [InlineData(16, 32, 4, 8, true, 0, 16)]     // chunks of depth: every tile reads all of them
    [InlineData(16, 1, 0, 1, true, 0, 16)]
    public void ChunksRead_ForATile_AreThoseHoldingItsSlivers(int chunks, int slivers, int s0, int s1, bool byDepth, int from, int to) =>
        Assert.Equal((from, to), Gemm.ChunksRead(chunks, slivers, s0, s1, byDepth));

    private static void AssertThreadCountIndependent<T>(int m, int n, int k, bool transA, bool transB)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rnd = new Random(m + n + k);
        var a = Random<T>(rnd, m * k);
        var b = Random<T>(rnd, k * n);
        var c0 = Random<T>(rnd, m * n);
        T[] Run(int threads) => Threads.With(threads, () =>
        {
            var c = (T[])c0.Clone();
            Gemm.Multiply<T>(a, b, c, m, n, k, transA, transB, accumulate: true);
            return c;
        });
        var one = Run(1);
        Assert.Equal(one, Run(2));
        Assert.Equal(one, Run(3));
    }

    [Fact]
    public void SetMaxThreads_BelowOne_ThrowsNamingValue()
    {
        var ex = Assert.Throws<ArgumentException>(() => Parallelism.SetMaxThreads(0));
        Assert.Contains("at least 1 thread but got 0", ex.Message);
    }
}
