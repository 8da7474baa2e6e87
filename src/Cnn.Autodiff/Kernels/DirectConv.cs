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
/// PadLeft)), and the output is computed over the padded-width positions j = i*Wp + j' (j' in [0, Wp); the last
/// Wp - OutW of each row are never stored). Then row (c, a, e) of the column matrix over those positions is the
/// contiguous run xp + c*Hp*Wp + a*Wp + e + j, so the micro-kernel reads its two vectors per patch entry straight
/// from xp through a table of offsets instead of from packed slivers; only the weights are packed (once per call).
/// The price is the Wp/OutW - 1 extra columns, so this serves wide outputs with few output channels, where
/// packing the column matrix is a large share of the work of an implicit GEMM (<see cref="ConvGemm"/>).
/// </summary>
internal static unsafe class DirectConv
{
    // Tiles computed per block of an item.
    private const int ChunkTiles = 6;

    // Small batches are cut into at least this many items (ranges of tiles of a sample).
    private const int MinItems = 8;

    /// <summary>
    /// Whether this kernel serves <paramref name="g"/>: AVX-512, unit strides and dilation, one group, at least 8 input
    /// and output channels, and outputs wide enough (and channels few enough) that skipping the packing pays.
    /// </summary>
    public static bool Applies(Conv2dGeometry g) =>
        Vector512.IsHardwareAccelerated && g.StrideH == 1 && g.StrideW == 1 && g.DilationH == 1 && g.DilationW == 1
        && g.Groups == 1 && g.InChannels >= 8 && g.OutChannels >= 8;

    /// <summary>
    /// y[n, k, i, j] = b[k] + sum_{c, a, e} x[n, c, i - pt + a, j - pl + e] w[k, c, a, e], as
    /// <see cref="Conv2dKernels.Forward{T}(T[], T[], T[], T[], Conv2dGeometry)"/> for the geometries <see cref="Applies"/> accepts.
    /// </summary>
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T> =>
        new Job<T>(g).Run(x, w, b, y);

    /// <summary>
    /// One forward call. Items are (sample, range of tiles), fixed by the sizes; each computes every output channel of
    /// its positions, summing the patch in increasing order in blocks of Gemm depth, so each output element is written
    /// by one item in the same order whatever the thread count.
    /// </summary>
    private sealed class Job<T>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private const int Mr = 8;
        private static int Nr => 3 * Vector512<T>.Count;
        private static int Chunk => ChunkTiles * Nr;

        private readonly int _hp = g.OutH + g.KernelH - 1, _wp = g.OutW + g.KernelW - 1;
        private readonly int _rows = Gemm.RoundUp(g.OutChannels, Mr);
        private readonly int _depth = Gemm.Depth(g.PatchSize);
        private int _tiles, _itemsPerSample;
        private T* _x, _wpk, _b, _y;
        private nint* _offsets;

        // The padded copy of one sample, plus Nr elements that the last tile's unstored columns may read.
        private int PadSize => g.InChannels * _hp * _wp + Nr;

        public void Run(T[] x, T[] w, T[]? b, T[] y)
        {
            int patch = g.PatchSize, cout = g.OutChannels;
            // The padded-width positions up to the last stored one, in tiles of Nr.
            _tiles = ((g.OutH - 1) * _wp + g.OutW + Nr - 1) / Nr;
            _itemsPerSample = g.Batch >= MinItems ? 1 : Math.Min(_tiles, (MinItems + g.Batch - 1) / g.Batch);
            var offsets = new nint[patch];
            for (int c = 0, p = 0; c < g.InChannels; c++)
                for (int a = 0; a < g.KernelH; a++)
                    for (int e = 0; e < g.KernelW; e++) offsets[p++] = ((nint)c * _hp + a) * _wp + e;
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
                    // Block pc of the patch holds slivers [kc, Mr] of the rows of w.
                    for (int pc = 0; pc < patch; pc += _depth)
                    {
                        int kc = Math.Min(_depth, patch - pc);
                        for (int i = 0; i < cout; i += Mr)
                            Gemm.PackA(pp + (nint)_rows * pc + (nint)i * kc, pw, patch, false, i, Math.Min(Mr, cout - i), pc, kc, Mr);
                    }
                    Parallelism.For(0, g.Batch * _itemsPerSample, Item, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(packed);
            }
        }

        private void Item(int item)
        {
            int n = item / _itemsPerSample, q = item % _itemsPerSample, nr = Nr, patch = g.PatchSize;
            int t0 = q * _tiles / _itemsPerSample, t1 = (q + 1) * _tiles / _itemsPerSample;
            var padArray = ArrayPool<T>.Shared.Rent(PadSize);
            var accArray = ArrayPool<T>.Shared.Rent(_rows * Chunk);
            try
            {
                fixed (T* pad = padArray, acc = accArray)
                {
                    Pad(_x + (nint)n * g.InChannels * g.InPlane, pad);
                    T* yn = _y + (nint)n * g.OutChannels * g.OutPlane;
                    for (int j0 = t0 * nr; j0 < t1 * nr; j0 += Chunk)
                    {
                        int nc = Math.Min(Chunk, t1 * nr - j0);
                        for (int pc = 0; pc < patch; pc += _depth)
                        {
                            int kc = Math.Min(_depth, patch - pc);
                            T* ap = _wpk + (nint)_rows * pc;
                            for (int jt = 0; jt < nc; jt += nr)
                                for (int i = 0; i < _rows; i += Mr)
                                    Tile(kc, ap + (nint)i * kc, pad + j0 + jt, _offsets + pc, acc + (nint)i * Chunk + jt, Chunk, pc > 0);
                        }
                        Write(acc, j0, j0 + nc, yn);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
                ArrayPool<T>.Shared.Return(accArray);
            }
        }

        // pad = the sample xs [Cin, InH, InW] at (PadTop, PadLeft) in zeros [Cin, Hp, Wp], and Nr zeros after it.
        private void Pad(T* xs, T* pad)
        {
            new Span<T>(pad, PadSize).Clear();
            int cols = Math.Max(0, Math.Min(g.InW, _wp - g.PadLeft));
            int r0 = Math.Max(0, g.PadTop), r1 = Math.Min(_hp, g.PadTop + g.InH);
            if (cols == 0) return;
            for (int c = 0; c < g.InChannels; c++)
                for (int r = r0; r < r1; r++)
                    new ReadOnlySpan<T>(xs + ((nint)c * g.InH + r - g.PadTop) * g.InW, cols)
                        .CopyTo(new Span<T>(pad + ((nint)c * _hp + r) * _wp + g.PadLeft, cols));
        }

        // y[k, i, j'] = acc[k, i*Wp + j' - j0] + b[k] for the stored positions (j' < OutW) among [j0, j1).
        private void Write(T* acc, int j0, int j1, T* yn)
        {
            int plane = g.OutPlane, ow = g.OutW;
            for (int i = j0 / _wp; i < g.OutH && i * _wp < j1; i++)
            {
                int s = Math.Max(j0, i * _wp), e = Math.Min(j1, i * _wp + ow);
                if (s >= e) continue;
                for (int k = 0; k < g.OutChannels; k++)
                {
                    var src = new ReadOnlySpan<T>(acc + (nint)k * Chunk + s - j0, e - s);
                    var dst = new Span<T>(yn + (nint)k * plane + (nint)i * ow + s - i * _wp, e - s);
                    if (_b != null) TensorPrimitives.Add(src, _b[k], dst);
                    else src.CopyTo(dst);
                }
            }
        }

        /// <summary>
        /// The tile c [Mr, Nr] (row stride ldc) is set to, or when <paramref name="add"/> incremented by,
        /// sum_p a[p, r] src[offsets[p] + t] over p &lt; kc: a packed weight sliver [kc, Mr] times the kc column-matrix
        /// rows read in place. Each element is one chain of fused multiply-adds in increasing p.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile(int kc, T* a, T* src, nint* offsets, T* c, nint ldc, bool add)
        {
            nint w = Vector512<T>.Count;
            Vector512<T> c00 = default, c01 = default, c02 = default, c10 = default, c11 = default, c12 = default,
                c20 = default, c21 = default, c22 = default, c30 = default, c31 = default, c32 = default,
                c40 = default, c41 = default, c42 = default, c50 = default, c51 = default, c52 = default,
                c60 = default, c61 = default, c62 = default, c70 = default, c71 = default, c72 = default;
            for (int p = 0; p < kc; p++)
            {
                T* b = src + offsets[p];
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + w);
                var b2 = Vector512.Load(b + 2 * w);
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
            Store(c, c00, c01, c02, add); c += ldc;
            Store(c, c10, c11, c12, add); c += ldc;
            Store(c, c20, c21, c22, add); c += ldc;
            Store(c, c30, c31, c32, add); c += ldc;
            Store(c, c40, c41, c42, add); c += ldc;
            Store(c, c50, c51, c52, add); c += ldc;
            Store(c, c60, c61, c62, add); c += ldc;
            Store(c, c70, c71, c72, add);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store(T* c, Vector512<T> v0, Vector512<T> v1, Vector512<T> v2, bool add)
        {
            nint w = Vector512<T>.Count;
            if (add)
            {
                v0 = Vector512.Load(c) + v0;
                v1 = Vector512.Load(c + w) + v1;
                v2 = Vector512.Load(c + 2 * w) + v2;
            }
            v0.Store(c);
            v1.Store(c + w);
            v2.Store(c + 2 * w);
        }
    }
}
