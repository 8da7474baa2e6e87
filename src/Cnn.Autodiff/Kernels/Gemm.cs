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
/// packing, so they are never copied whole. In parallel, one operand (when small) is packed once and shared,
/// and each tile of C packs the blocks of the other operand that it reads.
/// </remarks>
public static class Gemm
{
    /// <summary>
    /// Depth of a convolution's packed blocks (<see cref="PackRows{T}"/>, <see cref="Depth"/>): a kc x Nr sliver of
    /// B is kc * 128 bytes for both element types (32 KiB, in L1).
    /// </summary>
    internal const int KC = 256;

    /// <summary>
    /// Depth of a plain product's packed blocks: a kc x Nr sliver of B is 128 KiB and streams from L2 beside the A block.
    /// </summary>
    /// <remarks>
    /// NOTE: deeper blocks load and store each tile of C fewer times. On a 1024-square product, 1024-deep blocks made
    /// the tiles 6-7 % faster than 256-deep ones (whose B slivers stay in L1), and the whole product 5-9 % faster.
    /// </remarks>
    private const int ProductKC = 1024;

    // Rows of op(A) one thread multiplies per step (a multiple of both micro-kernels' Mr): 96 x 1024 floats is 384 KiB, in L2.
    private const int MC = 96;

    // Columns of op(B) packed per block (a multiple of every Nr): 1024 x 1024 floats is 4 MiB, in L3.
    private const int NC = 1024;

    // Problems with fewer multiply-adds than this run on the calling thread (about 30 microseconds of work).
    private const long ParallelThreshold = 1L << 21;

    // A parallel product is cut into about this many tiles (more than the cores, so they balance) ...
    private const int Items = 16;

    // ... or fewer, down to two per thread, so that each has at least this many multiply-adds (about 40 microseconds
    // of one core): on a 256-square product, 4 items instead of 16 made two threads about 4 % faster.
    private const long MinItemWork = 1L << 23;

    // ... each at least this many column slivers wide when C has that many (narrower tiles repack A too often).
    private const int MinTileSlivers = 4;

    // In a parallel product, an operand is packed once and shared only when it has at most this many elements
    // (8 MiB of float32); larger ones are packed tile by tile.
    private const int SharedPackLimit = 1 << 21;

    /// <summary>
    /// C = op(A) op(B), or C += op(A) op(B) when <paramref name="accumulate"/>, with C [m, n].
    /// op(A) is [m, k]: A is stored [m, k], or [k, m] when <paramref name="transA"/>.
    /// op(B) is [k, n]: B is stored [k, n], or [n, k] when <paramref name="transB"/>.
    /// </summary>
    /// <remarks>
    /// Each element of C is summed in increasing k by one thread, in the same order whatever the number of
    /// threads, so results are deterministic. NaN and infinity propagate as in the naive triple loop.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    /// One multiplication. In parallel, one operand, when it is small enough, is packed whole and shared, and C
    /// is cut into tiles (ranges of row slivers by ranges of column slivers), each packing the blocks of the other
    /// operand it reads itself. One parallel loop does both: its threads take the chunks of the shared packing
    /// and then the tiles one at a time, in that order, so the threads meet only at its end. The tiling depends
    /// on the sizes and the thread cap, the results on neither: every tile sums its elements over the same blocks of
    /// depth in the same order.
    /// </summary>
    private sealed unsafe class Job<T, K>(T* a, nint lda, T* b, nint ldb, T* c, nint ldc, int m, int n, int k,
        bool transA, bool transB, bool accumulate, bool parallel)
        where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        private readonly int _rowSlivers = (m + K.Mr - 1) / K.Mr, _colSlivers = (n + K.Nr - 1) / K.Nr, _depth = Depth(k, ProductKC);
        private int _rowTiles = 1, _colTiles = 1, _aChunks, _bChunks, _next;
        private int[] _packed = [];
        private T* _sharedA, _sharedB;

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Run()
        {
            if (!parallel)
            {
                Tile(0);
                return;
            }
            long aSize = (long)_rowSlivers * K.Mr * k, bSize = (long)k * _colSlivers * K.Nr;
            // NOTE: a tile streams the shared operand's slivers through the cache and reuses each across its own
            // rows (B shared, tiles of rows) or columns (A shared, tiles of columns); B is shared when the row tiles
            // are at least as tall in slivers as the column tiles would be wide, which for square products keeps
            // each tile's A block in L2 and reuses each B sliver over 8 micro-tiles (A shared reused A slivers over 2).
            bool shareB = bSize <= SharedPackLimit && (_rowSlivers >= _colSlivers || aSize > SharedPackLimit);
            bool shareA = !shareB && aSize <= SharedPackLimit;
            int items = (int)Math.Clamp((long)m * n * k / MinItemWork, Math.Min(Items, 2 * Parallelism.MaxThreads), Items);
            (_rowTiles, _colTiles) =
                shareA ? (_colSlivers > 1 ? (1, Math.Min(items, _colSlivers)) : (Math.Min(items, _rowSlivers), 1)) :
                shareB ? (_rowSlivers > 1 ? (Math.Min(items, _rowSlivers), 1) : (1, Math.Min(items, _colSlivers))) :
                Tiling(m, n, _rowSlivers, _colSlivers, items);
            _aChunks = shareA ? Math.Min(items, transA ? k : _rowSlivers) : 0;
            _bChunks = shareB ? Math.Min(items, transB ? _colSlivers : k) : 0;
            _packed = new int[_aChunks + _bChunks];
            var shared = ArrayPool<T>.Shared.Rent((int)((shareA ? aSize : 0) + (shareB ? bSize : 0)) + AlignSlack);
            try
            {
                fixed (T* start = shared)
                {
                    T* p = Align(start);
                    _sharedA = shareA ? p : null;
                    _sharedB = shareB ? p + (shareA ? aSize : 0) : null;
                    Parallelism.Workers(_packed.Length + _rowTiles * _colTiles, Worker);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(shared);
            }
        }

        // One thread's share of the work: items taken one at a time, in order, until none is left: first the chunks of
        // the shared packing, then the tiles of C (each waits for the chunks it reads, which were all taken before it).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Worker(int _)
        {
            int packs = _packed.Length, items = packs + _rowTiles * _colTiles;
            for (int i; (i = Interlocked.Increment(ref _next) - 1) < items;)
            {
                if (i >= packs)
                {
                    Tile(i - packs);
                    continue;
                }
                if (i < _aChunks) PackSharedA(i);
                else PackSharedB(i - _aChunks);
                Volatile.Write(ref _packed[i], 1);
            }
        }

        // Waits until the shared-packing chunks [offset + from, offset + to) are done.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void AwaitChunks(int offset, (int From, int To) chunks)
        {
            for (int j = chunks.From; j < chunks.To; j++)
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref _packed[offset + j]) == 0) spin.SpinOnce();
            }
        }

        // Item of the shared packing of A. The block at depth pc holds all row slivers [kc, Mr] one after another, from
        // offset rowSlivers * Mr * pc. Stored as op(A), an item packs a range of row slivers for every block of depth;
        // stored transposed, a range of depth (of stored rows) for every sliver.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackSharedA(int item)
        {
            if (transA)
            {
                PackSharedDepth(item, _aChunks, _sharedA, _rowSlivers * K.Mr, a, lda, m, K.Mr);
                return;
            }
            int s0 = _rowSlivers * item / _aChunks, s1 = _rowSlivers * (item + 1) / _aChunks;
            for (int pc = 0; pc < k; pc += _depth)
            {
                int kc = Math.Min(_depth, k - pc);
                for (int sl = s0; sl < s1; sl++)
                {
                    int i0 = sl * K.Mr;
                    PackA(SharedA(pc, kc, i0), a, lda, false, i0, Math.Min(K.Mr, m - i0), pc, kc, K.Mr);
                }
            }
        }

        // Item of the shared packing of B, laid out as A's: all column slivers [kc, Nr] of a block of depth together.
        // Stored transposed, an item packs a range of column slivers; stored as op(B), a range of depth.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackSharedB(int item)
        {
            if (!transB)
            {
                PackSharedDepth(item, _bChunks, _sharedB, _colSlivers * K.Nr, b, ldb, n, K.Nr);
                return;
            }
            int s0 = _colSlivers * item / _bChunks, s1 = _colSlivers * (item + 1) / _bChunks;
            for (int pc = 0; pc < k; pc += _depth)
            {
                int kc = Math.Min(_depth, k - pc), j0 = s0 * K.Nr;
                PackBBlock(SharedB(pc, kc, j0), b, ldb, true, pc, kc, j0, Math.Min(n, s1 * K.Nr) - j0, K.Nr);
            }
        }

        // Item of a shared packing whose stored rows run along the depth: the item's range of stored rows, each read
        // once, whole, into every sliver (of width w) of its block. The block at depth pc starts at shared + width * pc.
        // NOTE: a chunk of slivers would read every stored row in short pieces (a 64-column chunk of a 1024-wide B took
        // 256 bytes from each of 1024 rows 4 KiB apart); whole rows cut B's shared packing from about 720 to 230
        // microseconds of thread time on a 1024-square product.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void PackSharedDepth(int item, int chunks, T* shared, int width, T* src, nint ld, int columns, int w)
        {
            int q0 = (int)((long)k * item / chunks), q1 = (int)((long)k * (item + 1) / chunks);
            for (int pc = q0 / _depth * _depth; pc < q1; pc += _depth)
            {
                int kc = Math.Min(_depth, k - pc), lo = Math.Max(q0, pc), hi = Math.Min(q1, pc + kc);
                PackStoredRows(shared + (nint)width * pc + (nint)(lo - pc) * w, src, ld, lo, hi, kc, 0, columns, w);
            }
        }

        private T* SharedA(int pc, int kc, int i0) => _sharedA + (nint)_rowSlivers * K.Mr * pc + (nint)(i0 / K.Mr) * kc * K.Mr;

        private T* SharedB(int pc, int kc, int j0) => _sharedB + (nint)_colSlivers * K.Nr * pc + (nint)(j0 / K.Nr) * kc * K.Nr;

        // C[rows of row tile, columns of column tile]: the GotoBLAS loops over blocks of columns, depth and rows,
        // packing the blocks of whichever operand is not shared.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Tile(int item)
        {
            int rt = item / _colTiles, ct = item % _colTiles;
            int r0 = _rowSlivers * rt / _rowTiles * K.Mr, r1 = Math.Min(m, _rowSlivers * (rt + 1) / _rowTiles * K.Mr);
            int c0 = _colSlivers * ct / _colTiles * K.Nr, c1 = Math.Min(n, _colSlivers * (ct + 1) / _colTiles * K.Nr);
            if (r0 >= r1 || c0 >= c1) return;
            if (_sharedA != null) AwaitChunks(0, ChunksRead(_aChunks, _rowSlivers, r0 / K.Mr, (r1 + K.Mr - 1) / K.Mr, byDepth: transA));
            if (_sharedB != null) AwaitChunks(_aChunks, ChunksRead(_bChunks, _colSlivers, c0 / K.Nr, (c1 + K.Nr - 1) / K.Nr, byDepth: !transB));
            var apArray = _sharedA == null ? ArrayPool<T>.Shared.Rent(RoundUp(Math.Min(MC, r1 - r0), K.Mr) * _depth + AlignSlack) : null;
            var bpArray = _sharedB == null ? ArrayPool<T>.Shared.Rent(_depth * RoundUp(Math.Min(NC, c1 - c0), K.Nr) + AlignSlack) : null;
            try
            {
                fixed (T* apStart = apArray, bpStart = bpArray)
                {
                    T* apOwn = Align(apStart), bpOwn = Align(bpStart);
                    for (int jc = c0; jc < c1; jc += NC)
                    {
                        int nc = Math.Min(NC, c1 - jc);
                        for (int pc = 0; pc < k; pc += _depth)
                        {
                            int kc = Math.Min(_depth, k - pc);
                            T* bp = _sharedB != null ? SharedB(pc, kc, jc) : bpOwn;
                            if (_sharedB == null) PackBBlock(bp, b, ldb, transB, pc, kc, jc, nc, K.Nr);
                            for (int ic = r0; ic < r1; ic += MC)
                            {
                                int mc = Math.Min(MC, r1 - ic);
                                T* ap = _sharedA != null ? SharedA(pc, kc, ic) : apOwn;
                                if (_sharedA == null)
                                    for (int i = 0; i < mc; i += K.Mr)
                                        PackA(ap + (nint)i * kc, a, lda, transA, ic + i, Math.Min(K.Mr, mc - i), pc, kc, K.Mr);
                                Tiles<T, K>(ap, bp, mc, nc, kc, c + (nint)ic * ldc + jc, ldc, accumulate || pc > 0);
                            }
                        }
                    }
                }
            }
            finally
            {
                if (apArray is not null) ArrayPool<T>.Shared.Return(apArray);
                if (bpArray is not null) ArrayPool<T>.Shared.Return(bpArray);
            }
        }
    }

    /// <summary>
    /// The chunks [From, To) of a shared packing in <paramref name="chunks"/> chunks that a tile reading slivers
    /// [<paramref name="s0"/>, <paramref name="s1"/>) of the operand's <paramref name="slivers"/> waits for: all of them
    /// when the chunks are ranges of depth (every sliver has rows in each), else those whose slivers
    /// [slivers * j / chunks, slivers * (j + 1) / chunks) meet the tile's.
    /// </summary>
    internal static (int From, int To) ChunksRead(int chunks, int slivers, int s0, int s1, bool byDepth)
    {
        if (byDepth) return (0, chunks);
        int from = 0, to = chunks;
        while (from < chunks && slivers * (from + 1) / chunks <= s0) from++;
        while (to > from && slivers * (to - 1) / chunks >= s1) to--;
        return (from, to);
    }

    /// <summary>
    /// Row and column tiles of C for a parallel product: about <paramref name="items"/> tiles, each at least
    /// <see cref="MinTileSlivers"/> slivers wide where C allows, choosing among the splits the one that repacks
    /// the least (A is packed once per column tile, m k elements; B once per row tile, k n elements).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (int Rows, int Cols) Tiling(int m, int n, int rowSlivers, int colSlivers, int items = Items)
    {
        int maxCols = Math.Max(1, colSlivers / MinTileSlivers);
        (int, int) best = (1, 1);
        double bestCost = double.MaxValue;
        for (int rows = 1; rows <= Math.Min(items, rowSlivers); rows++)
        {
            int cols = Math.Clamp(items / rows, 1, maxCols);
            double cost = (double)m * cols + (double)n * rows + (rows * cols < 2 ? double.MaxValue / 4 : 0);
            if (cost < bestCost) (best, bestCost) = ((rows, cols), cost);
        }
        return best;
    }

    /// <summary>
    /// Packs op(B)[pc : pc+kc, j0 : j0+nc] into ceil(nc/nr) slivers [kc, nr] at <paramref name="dst"/>, zero
    /// columns past nc. A B stored as op(B) is read row by row across the slivers (contiguous runs); a transposed
    /// one sliver by sliver (each column of op(B) is a contiguous row of the stored B).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PackBBlock<T>(T* dst, T* b, nint ldb, bool transB, int pc, int kc, int j0, int nc, int nr)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!transB)
        {
            PackStoredRows(dst, b, ldb, pc, pc + kc, kc, j0, j0 + nc, nr);
            return;
        }
        int slivers = (nc + nr - 1) / nr;
        T** cols = stackalloc T*[nr];
        for (int s = 0; s < slivers; s++)
        {
            int w = Math.Min(nr, nc - s * nr);
            for (int j = 0; j < w; j++) cols[j] = b + (j0 + s * nr + j) * ldb + pc;
            Interleave(cols, w, kc, dst + (nint)s * kc * nr, nr);
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
    /// Packs all of A [m, k] (row stride k) for the micro-kernels, as a convolution's weights are packed once per call:
    /// depth block pc (blocks of <see cref="Depth"/>(k)) starts at dst + RoundUp(m, mr) * pc and holds ceil(m / mr)
    /// slivers [kc, mr].
    /// </summary>
    internal static unsafe void PackRows<T>(T* dst, T* a, int m, int k, int mr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int depth = Depth(k), rowsUp = RoundUp(m, mr);
        for (int pc = 0; pc < k; pc += depth)
        {
            int kc = Math.Min(depth, k - pc);
            for (int i = 0; i < m; i += mr)
                PackA(dst + (nint)rowsUp * pc + (nint)i * kc, a, k, false, i, Math.Min(mr, m - i), pc, kc, mr);
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
            PackStoredRows(dst, a, lda, pc, pc + kc, kc, i0, i0 + h, mr);
            return;
        }
        T** rows = stackalloc T*[mr];
        for (int r = 0; r < h; r++) rows[r] = a + (i0 + r) * lda + pc;
        Interleave(rows, h, kc, dst, mr);
    }

    /// <summary>
    /// Packs columns [j0, j1) of the stored rows [p0, p1) (row p at src + p * ld) into slivers of width w and depth kc,
    /// zero columns past j1: element (p, j) goes to dst[((j - j0) / w * kc + p - p0) * w + (j - j0) % w]. Each row is
    /// read once, in order. For an operand whose stored rows run along the depth: B as op(B), or A transposed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void PackStoredRows<T>(T* dst, T* src, nint ld, int p0, int p1, int kc, int j0, int j1, int w)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int width = j1 - j0, slivers = (width + w - 1) / w;
        for (int p = p0; p < p1; p++)
        {
            T* row = src + p * ld + j0, to = dst + (nint)(p - p0) * w;
            for (int s = 0; s < slivers; s++)
                CopyPadded(row + s * w, to + (nint)s * kc * w, Math.Min(w, width - s * w), w);
        }
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
    /// The depth of the packed blocks along a sum of length <paramref name="k"/>: as few blocks as
    /// <paramref name="most"/> deep as there can be, of equal depth (but the last), so no block is much shallower
    /// than the others (short blocks spend more of their time loading and storing C).
    /// </summary>
    internal static int Depth(int k, int most = KC)
    {
        int blocks = Math.Max(1, (k + most - 1) / most);
        return (k + blocks - 1) / blocks;
    }

    /// <summary>Extra elements rented with a packing buffer so that <see cref="Align{T}"/> finds a 64-byte boundary in it.</summary>
    private const int AlignSlack = 16;

    /// <summary>
    /// The first 64-byte boundary at or after <paramref name="p"/> (null stays null): packed slivers start there, so no
    /// vector load of B crosses a cache line.
    /// </summary>
    /// <remarks>NOTE: a 1024-square product on one thread ran 1.5 % faster from aligned buffers than from buffers 4 or 16 bytes off.</remarks>
    private static unsafe T* Align<T>(T* p) where T : unmanaged => p == null ? null : (T*)(((nint)p + 63) & ~(nint)63);

    /// <summary>x rounded up to a multiple of <paramref name="multiple"/>.</summary>
    internal static int RoundUp(int x, int multiple) => (x + multiple - 1) / multiple * multiple;
}
