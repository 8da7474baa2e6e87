using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Cnn.Autodiff.Kernels;

/// <summary>General matrix multiplication on row-major spans.</summary>
/// <remarks>
/// Cache-blocked in the manner of GotoBLAS/BLIS: each block of kc rows and up to nc columns of op(B) is
/// packed into Nr-wide slivers, each block of mc rows and kc columns of op(A) into Mr-high slivers;
/// a register-blocked micro-kernel (<see cref="GemmKernel512{T}"/>, or <see cref="GemmKernel256{T}"/>
/// without AVX-512) computes each Mr x Nr tile of C. Transposed operands are read transposed while
/// packing, so they are never copied whole.
/// </remarks>
public static class Gemm
{
    // Depth of a packed block: a kc x Nr sliver of B is kc * 128 bytes for both element types (32 KiB, in L1).
    private const int KC = 256;

    // Rows of op(A) packed per block (a multiple of both micro-kernels' Mr): 144 x 256 floats is 144 KiB, in L2.
    private const int MC = 144;

    // Columns of op(B) packed per block (a multiple of every Nr): 4096 x 256 floats is 4 MiB, in L3.
    private const int NC = 4096;

    // Problems with fewer multiply-adds than this run on the calling thread.
    private const long ParallelThreshold = 1L << 18;

    /// <summary>
    /// C = op(A) op(B), or C += op(A) op(B) when <paramref name="accumulate"/>, with C [m, n].
    /// op(A) is [m, k]: A is stored [m, k], or [k, m] when <paramref name="transA"/>.
    /// op(B) is [k, n]: B is stored [k, n], or [n, k] when <paramref name="transB"/>.
    /// </summary>
    /// <remarks>
    /// Each element of C is summed in increasing k by one thread, in the same order whatever the number of
    /// threads, so results are deterministic. NaN and infinity propagate as in the naive triple loop.
    /// </remarks>
    public static unsafe void Multiply<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, int m, int n, int k,
        bool transA = false, bool transB = false, bool accumulate = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"Gemm needs non-negative sizes but got m = {m}, n = {n}, k = {k}.");
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
            throw new ArgumentException($"Gemm of [{m}, {k}] x [{k}, {n}] needs buffers of at least {(long)m * k}, {(long)k * n} and {(long)m * n} elements but got {a.Length}, {b.Length} and {c.Length}.");
        if (m == 0 || n == 0) return;
        var cm = c[..(m * n)];
        if (k == 0)
        {
            if (!accumulate) cm.Clear();
            return;
        }
        fixed (T* pa = a, pb = b, pc = cm)
        {
            if (Vector512.IsHardwareAccelerated)
                new Job<T, GemmKernel512<T>>(pa, pb, pc, m, n, k, transA, transB, accumulate).Run();
            else
                new Job<T, GemmKernel256<T>>(pa, pb, pc, m, n, k, transA, transB, accumulate).Run();
        }
    }

    /// <summary>
    /// One multiplication, split into items: each item is a block of rows of C by a range of whole
    /// Nr-wide slivers of columns, packs its own parts of A and B and writes only its own part of C, so
    /// items run in parallel with no shared writes and no synchronisation but the final join.
    /// </summary>
    private sealed unsafe class Job<T, K>(T* a, T* b, T* c, int m, int n, int k, bool transA, bool transB, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        private int _rows, _cols, _colItems;

        public void Run()
        {
            int nr = K.Nr;
            bool parallel = (long)m * n * k >= ParallelThreshold && Environment.ProcessorCount > 1;
            // On one thread an item spans all rows, so each packed block of B serves every row of C.
            // In parallel, items are blocks of MC rows by column chunks, enough of them to keep every core busy.
            _rows = parallel ? MC : m;
            int rowItems = (m + _rows - 1) / _rows, slivers = (n + nr - 1) / nr;
            int chunks = parallel ? Math.Clamp((4 * Environment.ProcessorCount + rowItems - 1) / rowItems, 1, slivers) : 1;
            _cols = Math.Min(NC, (slivers + chunks - 1) / chunks * nr);
            _colItems = (n + _cols - 1) / _cols;
            int items = rowItems * _colItems;
            if (parallel && items > 1) Parallel.For(0, items, Item);
            else for (int i = 0; i < items; i++) Item(i);
        }

        // Item i: rows [i0, i1) by columns [j0, j1) of C, over all of k in blocks of KC.
        private void Item(int i)
        {
            int mr = K.Mr, nr = K.Nr;
            int i0 = i / _colItems * _rows, i1 = Math.Min(i0 + _rows, m);
            int j0 = i % _colItems * _cols, j1 = Math.Min(j0 + _cols, n);
            var apArray = ArrayPool<T>.Shared.Rent(RoundUp(Math.Min(MC, i1 - i0), mr) * KC);
            var bpArray = ArrayPool<T>.Shared.Rent(KC * RoundUp(j1 - j0, nr));
            try
            {
                fixed (T* ap = apArray, bp = bpArray)
                {
                    T* tile = stackalloc T[mr * nr];
                    for (int pc = 0; pc < k; pc += KC)
                    {
                        int kc = Math.Min(KC, k - pc);
                        bool add = accumulate || pc > 0;
                        PackB(bp, pc, kc, j0, j1);
                        for (int ic = i0; ic < i1; ic += MC)
                        {
                            int mc = Math.Min(MC, i1 - ic);
                            PackA(ap, pc, kc, ic, mc);
                            for (int jr = j0; jr < j1; jr += nr)
                            {
                                int w = Math.Min(nr, j1 - jr);
                                T* bs = bp + (nint)((jr - j0) / nr) * kc * nr;
                                for (int ir = 0; ir < mc; ir += mr)
                                {
                                    int h = Math.Min(mr, mc - ir);
                                    T* asl = ap + (nint)(ir / mr) * kc * mr;
                                    T* cij = c + (nint)(ic + ir) * n + jr;
                                    if (h == mr && w == nr)
                                    {
                                        K.Run(kc, asl, bs, cij, n, add);
                                        continue;
                                    }
                                    K.Run(kc, asl, bs, tile, nr, add: false);
                                    for (int r = 0; r < h; r++)
                                    {
                                        T* src = tile + r * nr, dst = cij + (nint)r * n;
                                        if (add) for (int j = 0; j < w; j++) dst[j] += src[j];
                                        else for (int j = 0; j < w; j++) dst[j] = src[j];
                                    }
                                }
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(apArray);
                ArrayPool<T>.Shared.Return(bpArray);
            }
        }

        // Packs op(B)[pc : pc+kc, j0 : j1] into slivers [kc, Nr], zero-padded past j1.
        private void PackB(T* bp, int pc, int kc, int j0, int j1)
        {
            int nr = K.Nr;
            for (int s0 = j0; s0 < j1; s0 += nr)
            {
                T* dst = bp + (nint)((s0 - j0) / nr) * kc * nr;
                int w = Math.Min(nr, j1 - s0);
                if (!transB)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        var row = new Span<T>(dst + (nint)p * nr, nr);
                        new ReadOnlySpan<T>(b + (nint)(pc + p) * n + s0, w).CopyTo(row);
                        row[w..].Clear();
                    }
                }
                else
                {
                    for (int j = 0; j < w; j++)
                    {
                        T* src = b + (nint)(s0 + j) * k + pc;
                        for (int p = 0; p < kc; p++) dst[(nint)p * nr + j] = src[p];
                    }
                    for (int j = w; j < nr; j++)
                        for (int p = 0; p < kc; p++) dst[(nint)p * nr + j] = T.Zero;
                }
            }
        }

        // Packs op(A)[i0 : i0+mc, pc : pc+kc] into slivers [kc, Mr], zero-padded past i0+mc.
        private void PackA(T* ap, int pc, int kc, int i0, int mc)
        {
            int mr = K.Mr;
            for (int s = 0, r0 = i0; r0 < i0 + mc; s++, r0 += mr)
            {
                T* dst = ap + (nint)s * kc * mr;
                int h = Math.Min(mr, i0 + mc - r0);
                if (!transA)
                {
                    for (int r = 0; r < h; r++)
                    {
                        T* src = a + (nint)(r0 + r) * k + pc;
                        for (int p = 0; p < kc; p++) dst[(nint)p * mr + r] = src[p];
                    }
                    for (int r = h; r < mr; r++)
                        for (int p = 0; p < kc; p++) dst[(nint)p * mr + r] = T.Zero;
                }
                else
                {
                    for (int p = 0; p < kc; p++)
                    {
                        var col = new Span<T>(dst + (nint)p * mr, mr);
                        new ReadOnlySpan<T>(a + (nint)(pc + p) * m + r0, h).CopyTo(col);
                        col[h..].Clear();
                    }
                }
            }
        }
    }

    private static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;

    /// <summary>The transpose of the row-major [rows, cols] matrix <paramref name="x"/>, as [cols, rows].</summary>
    public static T[] Transpose<T>(ReadOnlySpan<T> x, int rows, int cols) where T : unmanaged
    {
        var t = new T[rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = x[r * cols + c];
        return t;
    }
}
