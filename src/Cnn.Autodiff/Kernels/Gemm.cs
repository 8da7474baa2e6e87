using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cnn.Autodiff.Kernels;

/// <summary>General matrix multiplication on row-major spans.</summary>
/// <remarks>
/// Cache-blocked in the manner of GotoBLAS/BLIS: each block of kc rows and up to nc columns of op(B) is
/// packed into Nr-wide slivers, each block of rows and kc columns of op(A) into Mr-high slivers;
/// a register-blocked micro-kernel (<see cref="GemmKernel512{T}"/>, or <see cref="GemmKernel256{T}"/>
/// without AVX-512) computes each Mr x Nr tile of C. Transposed operands are read transposed while
/// packing, so they are never copied whole. Packing is done once per block and shared by every thread.
/// </remarks>
public static class Gemm
{
    /// <summary>Depth of a packed block: a kc x Nr sliver of B is kc * 128 bytes for both element types (32 KiB, in L1).</summary>
    internal const int KC = 256;

    /// <summary>Rows of op(A) one thread multiplies per step (a multiple of both micro-kernels' Mr): 144 x 256 floats is 144 KiB, in L2.</summary>
    internal const int MC = 144;

    // Columns of op(B) packed per block (a multiple of every Nr): 4096 x 256 floats is 4 MiB, in L3.
    private const int NC = 4096;

    // Rows of op(A) packed per pass: bounds the packed-A buffer for tall products.
    private const int MS = 16 * MC;

    // Problems with fewer multiply-adds than this run on the calling thread (about 30 microseconds of work).
    private const long ParallelThreshold = 1L << 21;

    // Parallel phases are cut into this many items at most (more than the cores, so they balance).
    private const int Items = 16;

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
        fixed (T* pa = a, pb = b, pc = c)
            Strided(pa, transA ? m : k, pb, transB ? k : n, pc, n, m, n, k, transA, transB, accumulate, parallel: true);
    }

    /// <summary>
    /// <see cref="Multiply{T}"/> on strided storage: row r of the stored A starts at a + r * lda, of the
    /// stored B at b + r * ldb, and row i of C at c + i * ldc. Runs on the calling thread unless
    /// <paramref name="parallel"/> and the product is large enough.
    /// </summary>
    internal static unsafe void Strided<T>(T* a, nint lda, T* b, nint ldb, T* c, nint ldc, int m, int n, int k,
        bool transA, bool transB, bool accumulate, bool parallel) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate)
                for (int i = 0; i < m; i++) new Span<T>(c + i * ldc, n).Clear();
            return;
        }
        parallel = parallel && (long)m * n * k >= ParallelThreshold && Parallelism.MaxThreads > 1;
        if (Vector512.IsHardwareAccelerated)
            new Job<T, GemmKernel512<T>>(a, lda, b, ldb, c, ldc, m, n, k, transA, transB, accumulate, parallel).Run();
        else
            new Job<T, GemmKernel256<T>>(a, lda, b, ldb, c, ldc, m, n, k, transA, transB, accumulate, parallel).Run();
    }

    /// <summary>
    /// One multiplication. For each block of columns and of depth, B is packed once (slivers shared out
    /// among threads), then for each pass of rows A is packed once, then the tiles of C are computed by
    /// items of MC rows by whole slivers of columns; each tile is written by exactly one item.
    /// </summary>
    private sealed unsafe class Job<T, K>(T* a, nint lda, T* b, nint ldb, T* c, nint ldc, int m, int n, int k,
        bool transA, bool transB, bool accumulate, bool parallel)
        where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        private T* _ap, _bp;
        private int _jc, _nc, _pc, _kc, _ic, _ms, _colChunk, _colItems;

        public void Run()
        {
            var apArray = ArrayPool<T>.Shared.Rent(RoundUp(Math.Min(MS, m), K.Mr) * KC);
            var bpArray = ArrayPool<T>.Shared.Rent(KC * RoundUp(Math.Min(NC, n), K.Nr));
            try
            {
                fixed (T* ap = apArray, bp = bpArray)
                {
                    _ap = ap;
                    _bp = bp;
                    for (_jc = 0; _jc < n; _jc += NC)
                    {
                        _nc = Math.Min(NC, n - _jc);
                        int bSlivers = (_nc + K.Nr - 1) / K.Nr;
                        int depth = Depth(k);
                        for (_pc = 0; _pc < k; _pc += depth)
                        {
                            _kc = Math.Min(depth, k - _pc);
                            Chunked(bSlivers, PackBSlivers);
                            for (_ic = 0; _ic < m; _ic += MS)
                            {
                                _ms = Math.Min(MS, m - _ic);
                                Chunked((_ms + K.Mr - 1) / K.Mr, PackASlivers);
                                int rowItems = (_ms + MC - 1) / MC;
                                int colChunks = parallel ? Math.Clamp(Items / rowItems, 1, bSlivers) : 1;
                                _colChunk = (bSlivers + colChunks - 1) / colChunks * K.Nr;
                                _colItems = (_nc + _colChunk - 1) / _colChunk;
                                Parallelism.For(0, rowItems * _colItems, Compute, parallel);
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

        // Runs body(s0, s1) over [0, count) cut into at most Items ranges.
        private void Chunked(int count, Action<int> body)
        {
            _chunks = Math.Min(count, parallel ? Items : 1);
            _count = count;
            Parallelism.For(0, _chunks, body, parallel);
        }

        private int _chunks, _count;
        private (int S0, int S1) Range(int i) => (_count * i / _chunks, _count * (i + 1) / _chunks);

        private void PackBSlivers(int item)
        {
            var (s0, s1) = Range(item);
            if (!transB)
            {
                // Row by row across the item's slivers: each row of B is read as one contiguous run.
                for (int p = 0; p < _kc; p++)
                {
                    T* row = b + (_pc + p) * ldb + _jc;
                    for (int s = s0; s < s1; s++)
                    {
                        int j0 = s * K.Nr;
                        CopyPadded(row + j0, _bp + ((nint)s * _kc + p) * K.Nr, Math.Min(K.Nr, _nc - j0), K.Nr);
                    }
                }
                return;
            }
            for (int s = s0; s < s1; s++)
            {
                int j0 = _jc + s * K.Nr;
                PackB(_bp + (nint)s * _kc * K.Nr, b, ldb, transB, _pc, _kc, j0, Math.Min(K.Nr, _jc + _nc - j0), K.Nr);
            }
        }

        private void PackASlivers(int item)
        {
            var (s0, s1) = Range(item);
            for (int s = s0; s < s1; s++)
            {
                int i0 = _ic + s * K.Mr;
                PackA(_ap + (nint)s * _kc * K.Mr, a, lda, transA, i0, Math.Min(K.Mr, _ic + _ms - i0), _pc, _kc, K.Mr);
            }
        }

        private void Compute(int item)
        {
            int r0 = item / _colItems * MC, j0 = item % _colItems * _colChunk;
            int mc = Math.Min(MC, _ms - r0), nc = Math.Min(_colChunk, _nc - j0);
            Tiles<T, K>(_ap + (nint)(r0 / K.Mr) * _kc * K.Mr, _bp + (nint)(j0 / K.Nr) * _kc * K.Nr, mc, nc, _kc,
                c + (nint)(_ic + r0) * ldc + _jc + j0, ldc, accumulate || _pc > 0);
        }
    }

    /// <summary>
    /// C[mc, nc] (at <paramref name="c"/>, row stride <paramref name="ldc"/>) is set to, or when <paramref name="add"/>
    /// incremented by, the product of the packed A block (ceil(mc/Mr) slivers [kc, Mr]) and the packed B block
    /// (ceil(nc/Nr) slivers [kc, Nr]). Edge tiles go through a scratch tile, so only C[mc, nc] is written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Tiles<T, K>(T* ap, T* bp, int mc, int nc, int kc, T* c, nint ldc, bool add)
        where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        int mr = K.Mr, nr = K.Nr;
        T* tile = stackalloc T[mr * nr];
        for (int jr = 0; jr < nc; jr += nr)
        {
            int w = Math.Min(nr, nc - jr);
            T* bs = bp + (nint)(jr / nr) * kc * nr;
            for (int ir = 0; ir < mc; ir += mr)
            {
                int h = Math.Min(mr, mc - ir);
                T* asl = ap + (nint)(ir / mr) * kc * mr;
                T* cij = c + ir * ldc + jr;
                if (h == mr && w == nr)
                {
                    K.Run(kc, asl, bs, cij, ldc, add);
                    continue;
                }
                K.Run(kc, asl, bs, tile, nr, add: false);
                for (int r = 0; r < h; r++)
                {
                    T* src = tile + r * nr, dst = cij + r * ldc;
                    if (add) for (int j = 0; j < w; j++) dst[j] += src[j];
                    else for (int j = 0; j < w; j++) dst[j] = src[j];
                }
            }
        }
    }

    /// <summary>
    /// Packs op(A)[i0 : i0+h, pc : pc+kc] into one sliver [kc, mr], zero rows past h. A is stored with row
    /// stride <paramref name="lda"/>: as op(A) ([m, k]), or as its transpose ([k, m]) when <paramref name="transA"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PackA<T>(T* dst, T* a, nint lda, bool transA, int i0, int h, int pc, int kc, int mr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (transA)
        {
            for (int p = 0; p < kc; p++)
            {
                T* src = a + (pc + p) * lda + i0, row = dst + (nint)p * mr;
                for (int r = 0; r < h; r++) row[r] = src[r];
                for (int r = h; r < mr; r++) row[r] = T.Zero;
            }
            return;
        }
        T** rows = stackalloc T*[mr];
        for (int r = 0; r < h; r++) rows[r] = a + (i0 + r) * lda + pc;
        Interleave(rows, h, kc, dst, mr);
    }

    /// <summary>
    /// Packs op(B)[pc : pc+kc, j0 : j0+w] into one sliver [kc, nr], zero columns past w. B is stored with row
    /// stride <paramref name="ldb"/>: as op(B) ([k, n]), or as its transpose ([n, k]) when <paramref name="transB"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PackB<T>(T* dst, T* b, nint ldb, bool transB, int pc, int kc, int j0, int w, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!transB)
        {
            for (int p = 0; p < kc; p++)
                CopyPadded(b + (pc + p) * ldb + j0, dst + (nint)p * nr, w, nr);
            return;
        }
        T** cols = stackalloc T*[nr];
        for (int j = 0; j < w; j++) cols[j] = b + (j0 + j) * ldb + pc;
        Interleave(cols, w, kc, dst, nr);
    }

    /// <summary>
    /// dst[p * ld + r] = rows[r][p] for r &lt; count and p &lt; kc, and 0 for count &lt;= r &lt; ld: a transpose of
    /// <paramref name="count"/> row segments into interleaved [kc, ld] form, by 8 x 8 register transposes for float.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void Interleave<T>(T** rows, int count, int kc, T* dst, int ld) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int r0 = 0;
        if (typeof(T) == typeof(float) && Avx.IsSupported)
            for (; r0 + 8 <= count; r0 += 8) Interleave8((float**)(rows + r0), kc, (float*)dst + r0, ld);
        for (int p = 0; p < kc; p++)
        {
            T* row = dst + (nint)p * ld;
            for (int r = r0; r < count; r++) row[r] = rows[r][p];
            for (int r = count; r < ld; r++) row[r] = T.Zero;
        }
    }

    // dst[p * ld + r] = rows[r][p] for r < 8, p < kc.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Interleave8(float** rows, int kc, float* dst, nint ld)
    {
        float* s0 = rows[0], s1 = rows[1], s2 = rows[2], s3 = rows[3], s4 = rows[4], s5 = rows[5], s6 = rows[6], s7 = rows[7];
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            Vector256<float> t0 = Avx.UnpackLow(Avx.LoadVector256(s0 + p), Avx.LoadVector256(s1 + p));
            Vector256<float> t1 = Avx.UnpackHigh(Avx.LoadVector256(s0 + p), Avx.LoadVector256(s1 + p));
            Vector256<float> t2 = Avx.UnpackLow(Avx.LoadVector256(s2 + p), Avx.LoadVector256(s3 + p));
            Vector256<float> t3 = Avx.UnpackHigh(Avx.LoadVector256(s2 + p), Avx.LoadVector256(s3 + p));
            Vector256<float> t4 = Avx.UnpackLow(Avx.LoadVector256(s4 + p), Avx.LoadVector256(s5 + p));
            Vector256<float> t5 = Avx.UnpackHigh(Avx.LoadVector256(s4 + p), Avx.LoadVector256(s5 + p));
            Vector256<float> t6 = Avx.UnpackLow(Avx.LoadVector256(s6 + p), Avx.LoadVector256(s7 + p));
            Vector256<float> t7 = Avx.UnpackHigh(Avx.LoadVector256(s6 + p), Avx.LoadVector256(s7 + p));
            Vector256<float> u0 = Avx.Shuffle(t0, t2, 0x44), u1 = Avx.Shuffle(t0, t2, 0xEE);
            Vector256<float> u2 = Avx.Shuffle(t1, t3, 0x44), u3 = Avx.Shuffle(t1, t3, 0xEE);
            Vector256<float> u4 = Avx.Shuffle(t4, t6, 0x44), u5 = Avx.Shuffle(t4, t6, 0xEE);
            Vector256<float> u6 = Avx.Shuffle(t5, t7, 0x44), u7 = Avx.Shuffle(t5, t7, 0xEE);
            float* d = dst + p * ld;
            Avx.Store(d, Avx.Permute2x128(u0, u4, 0x20));
            Avx.Store(d + ld, Avx.Permute2x128(u1, u5, 0x20));
            Avx.Store(d + 2 * ld, Avx.Permute2x128(u2, u6, 0x20));
            Avx.Store(d + 3 * ld, Avx.Permute2x128(u3, u7, 0x20));
            Avx.Store(d + 4 * ld, Avx.Permute2x128(u0, u4, 0x31));
            Avx.Store(d + 5 * ld, Avx.Permute2x128(u1, u5, 0x31));
            Avx.Store(d + 6 * ld, Avx.Permute2x128(u2, u6, 0x31));
            Avx.Store(d + 7 * ld, Avx.Permute2x128(u3, u7, 0x31));
        }
        for (; p < kc; p++)
        {
            float* d = dst + p * ld;
            d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p]; d[6] = s6[p]; d[7] = s7[p];
        }
    }

    /// <summary>dst[0 : w] = src[0 : w] and dst[w : width] = 0, by whole vectors where they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void CopyPadded<T>(T* src, T* dst, int w, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0, v = Vector512<T>.Count;
        for (; j <= w - v; j += v) Vector512.Store(Vector512.Load(src + j), dst + j);
        for (; j < w; j++) dst[j] = src[j];
        for (; j < width; j++) dst[j] = T.Zero;
    }

    /// <summary>
    /// The depth of the packed blocks along a sum of length <paramref name="k"/>: as few blocks as KC allows, of
    /// equal depth (but the last), so no block is much shallower than the others (short blocks spend more of
    /// their time loading and storing C).
    /// </summary>
    internal static int Depth(int k)
    {
        int blocks = Math.Max(1, (k + KC - 1) / KC);
        return (k + blocks - 1) / blocks;
    }

    /// <summary>x rounded up to a multiple of <paramref name="multiple"/>.</summary>
    internal static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
