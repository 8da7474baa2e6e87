using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace Cnn.Autodiff.Kernels;

/// <summary>General matrix multiplication on row-major spans.</summary>
/// <remarks>
/// Cache-blocked in the manner of GotoBLAS/BLIS: for each block of kc rows of op(B) and nc columns,
/// the block is packed into Nr-wide slivers; blocks of mc rows of op(A) are packed into Mr-high slivers;
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
    /// One multiplication. The work of each (nc, kc) block is split into items, each a block of mc rows
    /// of C by a chunk of whole Nr-wide slivers; an item packs its own rows of A and writes only its own
    /// part of C, so items run in parallel without sharing writes.
    /// </summary>
    private sealed unsafe class Job<T, K>(T* a, T* b, T* c, int m, int n, int k, bool transA, bool transB, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        private readonly bool _parallel = (long)m * n * k >= ParallelThreshold && Environment.ProcessorCount > 1;
        private T* _bp;
        private int _jc, _nc, _pc, _kc, _chunk, _chunks;
        private bool _add;

        public void Run()
        {
            int nr = K.Nr;
            var bpArray = ArrayPool<T>.Shared.Rent(KC * RoundUp(Math.Min(n, NC), nr));
            try
            {
                fixed (T* bp = bpArray)
                {
                    _bp = bp;
                    int rowBlocks = (m + MC - 1) / MC;
                    for (_jc = 0; _jc < n; _jc += NC)
                    {
                        _nc = Math.Min(NC, n - _jc);
                        int slivers = (_nc + nr - 1) / nr;
                        // Enough items to keep every core busy; otherwise one chunk of all columns.
                        int chunks = _parallel ? Math.Clamp((4 * Environment.ProcessorCount + rowBlocks - 1) / rowBlocks, 1, slivers) : 1;
                        _chunk = (slivers + chunks - 1) / chunks * nr;
                        _chunks = (_nc + _chunk - 1) / _chunk;
                        for (_pc = 0; _pc < k; _pc += KC)
                        {
                            _kc = Math.Min(KC, k - _pc);
                            _add = accumulate || _pc > 0;
                            PackB();
                            int items = rowBlocks * _chunks;
                            if (_parallel && items > 1) Parallel.For(0, items, Item);
                            else for (int i = 0; i < items; i++) Item(i);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(bpArray);
            }
        }

        // Packs op(B)[pc : pc+kc, jc : jc+nc] into slivers [kc, Nr], zero-padded past n.
        private void PackB()
        {
            int nr = K.Nr, kc = _kc;
            for (int s = 0, j0 = _jc; j0 < _jc + _nc; s++, j0 += nr)
            {
                T* dst = _bp + (nint)s * kc * nr;
                int w = Math.Min(nr, _jc + _nc - j0);
                if (!transB)
                {
                    for (int p = 0; p < kc; p++)
                    {
                        var row = new Span<T>(dst + (nint)p * nr, nr);
                        new ReadOnlySpan<T>(b + (nint)(_pc + p) * n + j0, w).CopyTo(row);
                        row[w..].Clear();
                    }
                }
                else
                {
                    for (int j = 0; j < w; j++)
                    {
                        T* src = b + (nint)(j0 + j) * k + _pc;
                        for (int p = 0; p < kc; p++) dst[(nint)p * nr + j] = src[p];
                    }
                    for (int j = w; j < nr; j++)
                        for (int p = 0; p < kc; p++) dst[(nint)p * nr + j] = T.Zero;
                }
            }
        }

        // Packs op(A)[i0 : i0+mc, pc : pc+kc] into slivers [kc, Mr], zero-padded past m.
        private void PackA(T* ap, int i0, int mc)
        {
            int mr = K.Mr, kc = _kc;
            for (int s = 0, r0 = i0; r0 < i0 + mc; s++, r0 += mr)
            {
                T* dst = ap + (nint)s * kc * mr;
                int h = Math.Min(mr, i0 + mc - r0);
                if (!transA)
                {
                    for (int r = 0; r < h; r++)
                    {
                        T* src = a + (nint)(r0 + r) * k + _pc;
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
                        new ReadOnlySpan<T>(a + (nint)(_pc + p) * m + r0, h).CopyTo(col);
                        col[h..].Clear();
                    }
                }
            }
        }

        // Item i: rows [i0, i0 + mc) of C by columns [jc + j0, jc + j1) of the current block.
        private void Item(int i)
        {
            int mr = K.Mr, nr = K.Nr, kc = _kc;
            int i0 = i / _chunks * MC, mc = Math.Min(MC, m - i0);
            int j0 = i % _chunks * _chunk, j1 = Math.Min(j0 + _chunk, _nc);
            var apArray = ArrayPool<T>.Shared.Rent(RoundUp(mc, mr) * kc);
            try
            {
                fixed (T* ap = apArray)
                {
                    PackA(ap, i0, mc);
                    T* tile = stackalloc T[mr * nr];
                    for (int jr = j0; jr < j1; jr += nr)
                    {
                        int w = Math.Min(nr, _nc - jr);
                        T* bs = _bp + (nint)(jr / nr) * kc * nr;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int h = Math.Min(mr, mc - ir);
                            T* asl = ap + (nint)(ir / mr) * kc * mr;
                            T* cij = c + (nint)(i0 + ir) * n + _jc + jr;
                            if (h == mr && w == nr)
                            {
                                K.Run(kc, asl, bs, cij, n, _add);
                                continue;
                            }
                            K.Run(kc, asl, bs, tile, nr, add: false);
                            for (int r = 0; r < h; r++)
                            {
                                T* src = tile + r * nr, dst = cij + (nint)r * n;
                                if (_add) for (int j = 0; j < w; j++) dst[j] += src[j];
                                else for (int j = 0; j < w; j++) dst[j] = src[j];
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(apArray);
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
