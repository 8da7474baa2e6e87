using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Cnn.Autodiff.Kernels.Simd;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Packing-free forward convolution for unit strides, unit dilation and one group. Each sample is copied into a
/// zero-padded buffer xp [Cin, Hp, Wp] (Hp = OutH + KernelH - 1, Wp = OutW + KernelW - 1, the input at (PadTop,
/// PadLeft)). For a vector of output positions (i, j .. j + V - 1) of one row, row (c, a, e) of the column matrix is
/// the contiguous run xp + c*Hp*Wp + (i + a)*Wp + j + e, so the micro-kernel reads it straight from xp through a table
/// of patch offsets instead of from packed slivers; only the weights are packed (once per call). (With fewer than 8
/// input channels and rows of partial vectors the copy is shifted instead, see <see cref="Layout"/>.) A tile is 8
/// output channels by 3 such vectors (24 accumulators), stored straight into y with the bias added at the last depth
/// block; lanes past the row (or plane) in a partial vector are computed but not stored (masked stores). This saves
/// the packing of the column matrix that an implicit GEMM (<see cref="ConvGemm"/>) does per block, a large share of
/// its work when there are few output channels to reuse each packed element.
/// </summary>
internal static unsafe class DirectConv
{
    // Output channels (weights broadcast per patch entry) and segments (vectors of outputs) of a tile.
    private const int Mr = 8, Vectors = 3;

    // Tiles computed per block of an item (for every block of the patch in turn).
    private const int ChunkTiles = 6;

    // The padded samples one item reads stay in L2 up to this many bytes (1 MiB per core on Zen 5).
    private const int MaxPadBytes = 1 << 20;

    // Small batches are cut into at least this many items (ranges of tiles of a sample).
    private const int MinItems = 8;

    /// <summary>
    /// Whether this kernel serves <paramref name="g"/> on elements <typeparamref name="T"/>: AVX-512, unit strides and
    /// dilation, one group, at least 8 output channels, not 1x1, and the copies of the samples one item reads within
    /// <see cref="MaxPadBytes"/>; with 8 or more input channels also at most 1/8 of the lanes of each output row's
    /// vectors past OutW (so not 8-wide float rows).
    /// </summary>
    /// <remarks>
    /// NOTE: measured (batch 64, CPU time) against <see cref="ConvGemm"/>: 5-20% faster on 3x3 and 5x5 kernels at 14 to 32
    /// wide, 50% slower at 8 wide (half the lanes unstored; the shifted copy made it level, not faster), 20% slower at 56
    /// wide (three padded 64-channel samples spill L2) and up to 25% slower on 1x1 kernels (the padded copy costs as much
    /// as packing a patch that small). With fewer than 8 input channels (a first layer, whose patch of 27 makes packing a
    /// large share of the implicit GEMM's work), same-process runs at 2 threads with a bias: 3->32 at 32 wide 0.31-0.35
    /// against 0.43-0.46 ms, at 28 wide (shifted) 0.27 against 0.35 ms, 1->32 at 28 wide 0.11-0.23 against 0.20-0.24 ms,
    /// 3->64 at 56 wide 2.5-3.2 against 3.0-3.6 ms, and also faster when runs alternate with other kernels (cold output).
    /// </remarks>
    public static bool Applies<T>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Vector512.IsHardwareAccelerated || g.StrideH != 1 || g.StrideW != 1 || g.DilationH != 1 || g.DilationW != 1
            || g.Groups != 1 || g.OutChannels < 8 || g.KernelH * g.KernelW == 1) return false;
        var l = new Layout(g, Vector512<T>.Count);
        int lanes = l.RowSegments * Vector512<T>.Count;
        return (l.Shifted || 8 * (lanes - g.OutW) <= lanes) && l.GroupSize * Unsafe.SizeOf<T>() <= MaxPadBytes;
    }

    /// <summary>
    /// How the samples are copied for the kernel and how a sample's output positions are cut into segments (vectors of
    /// consecutive outputs; tiles are 3 consecutive segments, and samples are taken in groups of 3 when a sample's
    /// segments are not a whole number of tiles, so tiles run across samples instead of padding the last one).
    /// Rows: the zero-padded sample [Cin, Hp, Wp] (Hp = OutH + KernelH - 1, Wp = OutW + KernelW - 1), segments are
    /// vectors of one output row, the last of a row partial when OutW is not a whole number of vectors. Shifted, when
    /// there are fewer than 8 input channels and OutW is not a whole number of vectors: KernelW copies [KernelW, Cin, Hp, OutW] of the padded sample, copy e holding its
    /// columns e .. e + OutW - 1, so tap (c, a, e) of output position P = i*OutW + j is copy e at c*Hp*OutW + a*OutW + P;
    /// segments are vectors of the whole output plane, and only a sample's last one is partial.
    /// </summary>
    private readonly struct Layout
    {
        public readonly bool Shifted;
        public readonly int Hp, Width, RowSegments, Segments, Group, SampleSize;
        private readonly int _v;

        public Layout(Conv2dGeometry g, int v)
        {
            _v = v;
            Hp = g.OutH + g.KernelH - 1;
            RowSegments = (g.OutW + v - 1) / v;
            Shifted = g.InChannels < 8 && g.OutW % v != 0;
            Width = Shifted ? g.OutW : g.OutW + g.KernelW - 1;
            Segments = Shifted ? (g.OutPlane + v - 1) / v : g.OutH * RowSegments;
            Group = Segments % Vectors == 0 ? 1 : Vectors;
            SampleSize = (Shifted ? g.KernelW : 1) * g.InChannels * Hp * Width;
        }

        // The copies of a group of samples.
        public long GroupSize => (long)Group * SampleSize;

        // offsets[(c*KernelH + a)*KernelW + e]: where tap (c, a, e) of the segment at Src 0 is read.
        public nint[] Taps(Conv2dGeometry g)
        {
            if (!Shifted) return ConvInput.Taps(g, (nint)Hp * Width, Width);
            var taps = new nint[g.PatchSize];
            nint plane = (nint)Hp * Width, copy = g.InChannels * plane;
            for (int c = 0, p = 0; c < g.InChannels; c++)
                for (int a = 0; a < g.KernelH; a++)
                    for (int e = 0; e < g.KernelW; e++) taps[p++] = e * copy + c * plane + (nint)a * Width;
            return taps;
        }

        // Segment s of a sample: where it is read (before a tap's offset), where it is stored in the sample's output
        // plane, and how many lanes lie in the plane.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public (nint Src, int Dst, int Len) At(int s, Conv2dGeometry g)
        {
            if (Shifted) return (s * _v, s * _v, Math.Min(_v, g.OutPlane - s * _v));
            int i = s / RowSegments, j = s % RowSegments * _v;
            return ((nint)i * Width + j, i * g.OutW + j, Math.Min(_v, g.OutW - j));
        }

        // The copies of sample xs [Cin, InH, InW] into pad (whose padding is zero, as it stays from sample to sample).
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Copy<T>(T* xs, T* pad, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
        {
            nint plane = (nint)Hp * Width;
            for (int e = 0, copies = Shifted ? g.KernelW : 1; e < copies; e++)
                for (int c = 0; c < g.InChannels; c++)
                    ConvInput.CopyColumns(xs + (nint)c * g.InPlane, pad + (e * g.InChannels + c) * plane, g, Hp, Width, Shifted ? e : 0);
        }
    }

    /// <summary>
    /// y[n, k, i, j] = b[k] + sum_{c, a, e} x[n, c, i - pt + a, j - pl + e] w[k, c, a, e], as
    /// <see cref="Conv2dKernels.Forward{T}(T[], T[], T[], T[], Conv2dGeometry)"/> for the geometries <see cref="Applies"/> accepts.
    /// </summary>
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T> =>
        new Job<T>(g).Run(x, w, b, y);

    /// <summary>
    /// One forward call. The output positions are cut into segments and samples taken in groups as <see cref="Layout"/>
    /// describes; tiles are 3 consecutive segments of a group. Items are (group, range of its tiles), fixed by the sizes;
    /// each computes every output channel of its tiles straight into y, summing the patch in increasing order in blocks
    /// of Gemm depth, so each output element is written by one item in the same order whatever the thread count.
    /// </summary>
    private sealed class Job<T>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static int V => Vector512<T>.Count;

        private readonly Layout _l = new(g, V);
        private readonly int _rows = Gemm.RoundUp(g.OutChannels, Mr);
        private readonly int _depth = Gemm.Depth(g.PatchSize);
        private int _itemsPerGroup;
        private T* _x, _wpk, _b, _y;
        private nint* _offsets;

        public void Run(T[] x, T[] w, T[]? b, T[] y)
        {
            int patch = g.PatchSize, cout = g.OutChannels;
            int groups = (g.Batch + _l.Group - 1) / _l.Group, tiles = _l.Group * _l.Segments / Vectors;
            _itemsPerGroup = groups >= MinItems ? 1 : Math.Min(tiles, (MinItems + groups - 1) / groups);
            // Every sample is copied (even when x could be read in place), so the taps are into the copy.
            var offsets = _l.Taps(g);
            var packed = ArrayPool<T>.Shared.Rent(_rows * patch);
            try
            {
                fixed (T* px = x, pw = w, pb = b, py = y, pp = packed)
                fixed (nint* po = offsets)
                {
                    _x = px;
                    _b = pb;
                    _y = py;
                    _wpk = pp;
                    _offsets = po;
                    Gemm.PackRows(pp, pw, cout, patch, Mr);
                    Parallelism.For(0, groups * _itemsPerGroup, Item, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(packed);
            }
        }

        // NOTE: the per-item methods are compiled fully optimised from the first call, as Tile is: under tiered compilation
        // the first 200 runs of a first layer's forward (3->32 at 32x32, batch 64) took 0.42-0.51 ms, later runs 0.31-0.36.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void Item(int item)
        {
            int grp = item / _itemsPerGroup, q = item % _itemsPerGroup, patch = g.PatchSize, plane = g.OutPlane, cout = g.OutChannels;
            int n0 = grp * _l.Group, samples = Math.Min(_l.Group, g.Batch - n0), segments = samples * _l.Segments;
            int tiles = (segments + Vectors - 1) / Vectors, t0 = q * tiles / _itemsPerGroup, t1 = (q + 1) * tiles / _itemsPerGroup;
            // The group's padded samples, and one vector that the unstored lanes of the last segment may read.
            int padSize = samples * _l.SampleSize + V;
            var padArray = ArrayPool<T>.Shared.Rent(padSize);
            try
            {
                fixed (T* pad = padArray)
                {
                    new Span<T>(pad, padSize).Clear();
                    for (int l = 0; l < samples; l++) _l.Copy(_x + (nint)(n0 + l) * g.InChannels * g.InPlane, pad + (nint)l * _l.SampleSize, g);
                    T* yg = _y + (nint)n0 * cout * plane;
                    Segment* tile = stackalloc Segment[Vectors];
                    for (int c0 = t0; c0 < t1; c0 += ChunkTiles)
                    {
                        int c1 = Math.Min(t1, c0 + ChunkTiles);
                        for (int pc = 0; pc < patch; pc += _depth)
                        {
                            int kc = Math.Min(_depth, patch - pc);
                            T* ap = _wpk + (nint)_rows * pc;
                            for (int t = c0; t < c1; t++)
                            {
                                for (int v = 0; v < Vectors; v++) tile[v] = SegmentAt(Math.Min(t * Vectors + v, segments - 1), t * Vectors + v < segments);
                                for (int i = 0; i < cout; i += Mr)
                                    Tile(kc, ap + (nint)i * kc, pad, _offsets + pc, tile, yg + (nint)i * plane, plane, Math.Min(Mr, cout - i), pc > 0,
                                        pc + kc == patch && _b != null ? _b + i : null);
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
            }
        }

        // Segment s of a group: segment s % segments of sample s / segments; stored only when `stored`.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Segment SegmentAt(int s, bool stored)
        {
            int l = s / _l.Segments;
            var (src, dst, len) = _l.At(s % _l.Segments, g);
            return new Segment((nint)l * _l.SampleSize + src, (nint)l * g.OutChannels * g.OutPlane + dst, stored ? len : 0);
        }

        /// <summary>
        /// The first <paramref name="h"/> rows (stride ldc) of output channels at c, at the columns of the tile's
        /// segments, are set to, or when <paramref name="add"/> incremented by, sum_p a[p, r] pad[offsets[p] + Src + t]
        /// over p &lt; kc: a packed weight sliver [kc, Mr] times kc rows of the column matrix read in place. Each
        /// element is one chain of fused multiply-adds in increasing p.
        /// </summary>
        // NOTE: the 24 accumulators, 3 input vectors and the broadcast weight take 28 of the 32 vector registers. The
        // JIT keeps them in registers when it weighs the loop as hot, which its profile synthesis does by default; with
        // DOTNET_TieredPGO=0 (or TieredCompilation off) it stored every accumulator to the stack each step, 3.5x slower.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile(int kc, T* a, T* pad, nint* offsets, Segment* tile, T* c, nint ldc, int h, bool add, T* bias)
        {
            nint s0 = tile[0].Src, s1 = tile[1].Src, s2 = tile[2].Src;
            Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default,
                c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default,
                c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default,
                c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
            for (int p = 0; p < kc; p++)
            {
                T* b = pad + offsets[p];
                var b0 = Vector512.Load(b + s0);
                var b1 = Vector512.Load(b + s1);
                var b2 = Vector512.Load(b + s2);
                Vector512<T> ai;
                ai = Vector512.Create(a[0]); c00 = Fma(ai, b0, c00); c01 = Fma(ai, b1, c01); c02 = Fma(ai, b2, c02);
                ai = Vector512.Create(a[1]); c10 = Fma(ai, b0, c10); c11 = Fma(ai, b1, c11); c12 = Fma(ai, b2, c12);
                ai = Vector512.Create(a[2]); c20 = Fma(ai, b0, c20); c21 = Fma(ai, b1, c21); c22 = Fma(ai, b2, c22);
                ai = Vector512.Create(a[3]); c30 = Fma(ai, b0, c30); c31 = Fma(ai, b1, c31); c32 = Fma(ai, b2, c32);
                ai = Vector512.Create(a[4]); c40 = Fma(ai, b0, c40); c41 = Fma(ai, b1, c41); c42 = Fma(ai, b2, c42);
                ai = Vector512.Create(a[5]); c50 = Fma(ai, b0, c50); c51 = Fma(ai, b1, c51); c52 = Fma(ai, b2, c52);
                ai = Vector512.Create(a[6]); c60 = Fma(ai, b0, c60); c61 = Fma(ai, b1, c61); c62 = Fma(ai, b2, c62);
                ai = Vector512.Create(a[7]); c70 = Fma(ai, b0, c70); c71 = Fma(ai, b1, c71); c72 = Fma(ai, b2, c72);
                a += Mr;
            }
            nint d0 = tile[0].Dst, d1 = tile[1].Dst, d2 = tile[2].Dst;
            int v = Vector512<T>.Count;
            if (h == Mr && tile[0].Len == v && tile[1].Len == v && tile[2].Len == v)
            {
                Store(c, d0, d1, d2, c00, c01, c02, add, bias, 0); c += ldc;
                Store(c, d0, d1, d2, c10, c11, c12, add, bias, 1); c += ldc;
                Store(c, d0, d1, d2, c20, c21, c22, add, bias, 2); c += ldc;
                Store(c, d0, d1, d2, c30, c31, c32, add, bias, 3); c += ldc;
                Store(c, d0, d1, d2, c40, c41, c42, add, bias, 4); c += ldc;
                Store(c, d0, d1, d2, c50, c51, c52, add, bias, 5); c += ldc;
                Store(c, d0, d1, d2, c60, c61, c62, add, bias, 6); c += ldc;
                Store(c, d0, d1, d2, c70, c71, c72, add, bias, 7);
                return;
            }
            // Edge tiles: the first h rows, and of each segment the lanes under its mask (none for a padding segment).
            Vector512<T> m0 = FirstLanes<T>(tile[0].Len), m1 = FirstLanes<T>(tile[1].Len), m2 = FirstLanes<T>(tile[2].Len);
            StoreMasked(c, d0, d1, d2, c00, c01, c02, add, bias, 0, m0, m1, m2);
            if (h > 1) StoreMasked(c + ldc, d0, d1, d2, c10, c11, c12, add, bias, 1, m0, m1, m2);
            if (h > 2) StoreMasked(c + 2 * ldc, d0, d1, d2, c20, c21, c22, add, bias, 2, m0, m1, m2);
            if (h > 3) StoreMasked(c + 3 * ldc, d0, d1, d2, c30, c31, c32, add, bias, 3, m0, m1, m2);
            if (h > 4) StoreMasked(c + 4 * ldc, d0, d1, d2, c40, c41, c42, add, bias, 4, m0, m1, m2);
            if (h > 5) StoreMasked(c + 5 * ldc, d0, d1, d2, c50, c51, c52, add, bias, 5, m0, m1, m2);
            if (h > 6) StoreMasked(c + 6 * ldc, d0, d1, d2, c60, c61, c62, add, bias, 6, m0, m1, m2);
            if (h > 7) StoreMasked(c + 7 * ldc, d0, d1, d2, c70, c71, c72, add, bias, 7, m0, m1, m2);
        }

        // Row r of a tile to c at the three segments: (c + v), or v, plus bias[r] when there is a bias.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(T* c, nint d0, nint d1, nint d2, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, bool add, T* bias, int r)
        {
            if (add)
            {
                v0 = Vector512.Load(c + d0) + v0;
                v1 = Vector512.Load(c + d1) + v1;
                v2 = Vector512.Load(c + d2) + v2;
            }
            if (bias != null)
            {
                var bv = Vector512.Create(bias[r]);
                v0 += bv; v1 += bv; v2 += bv;
            }
            v0.Store(c + d0);
            v1.Store(c + d1);
            v2.Store(c + d2);
        }

        // As Store, for the lanes under each segment's mask only (no memory under the other lanes is read or written).
        private static void StoreMasked(T* c, nint d0, nint d1, nint d2, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, bool add,
            T* bias, int r, Vector512<T> m0, Vector512<T> m1, Vector512<T> m2)
        {
            if (add)
            {
                v0 = MaskedLoad(c + d0, m0) + v0;
                v1 = MaskedLoad(c + d1, m1) + v1;
                v2 = MaskedLoad(c + d2, m2) + v2;
            }
            if (bias != null)
            {
                var bv = Vector512.Create(bias[r]);
                v0 += bv; v1 += bv; v2 += bv;
            }
            MaskedStore(c + d0, m0, v0);
            MaskedStore(c + d1, m1, v1);
            MaskedStore(c + d2, m2, v2);
        }
    }

    /// <summary>A vector of output positions: read from pad + Src (+ a patch offset), stored at plane offset Dst, Len lanes stored.</summary>
    private readonly record struct Segment(nint Src, nint Dst, int Len);
}
