using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Cnn.Autodiff.Kernels.Simd;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// The weight gradient of an ungrouped 3x3 convolution with unit strides and dilations (any padding), on AVX-512:
/// gw[k, c, a, e] = sum_{n, i, j} gy[n, k, i, j] xp[n, c, i + a, j + e], with xp the input zero-padded so that every
/// tap reads inside it (<see cref="ConvInput"/>). The output gradient of a block of Mr = 2 vectors of output channels is
/// transposed once per sample into [OutPlane, Mr]; a register tile then holds the Mr x 9 sums of one input channel
/// and the block (18 vector accumulators), adding per output position two vectors of gy times the nine input values
/// the taps read, broadcast straight from three rows of xp. Nothing of the input is packed, and the per-row reads
/// need no im2col segments.
/// </summary>
/// <remarks>
/// Work items are (range of output-channel blocks) x (chunk of the batch), fixed by the sizes: about
/// <c>Items</c> of them, batch chunks first (a power of two of them, while their partial gw fit
/// <c>PartialBudget</c>; the partials are added in chunk order), then ranges of blocks (each reads all of its
/// samples' inputs). An item pads its samples' inputs channel by channel into a small buffer, right before the
/// register tiles read them. Every element of gw is summed over the samples of its chunk in order, in groups of
/// samples fixed by the sizes (a chain of fused multiply-adds over a group's output positions in order, then added
/// to the running sum), so the result does not depend on the thread count.
/// </remarks>
internal static unsafe class Conv3x3WeightGrad
{
    // About this many work items (an even number, so that two threads get equal shares).
    private const int Items = 8;

    // Output positions (of one or more samples) each register tile sums before it is added to memory.
    private const int Depth = 256;

    // Elements of gw the batch chunks' partials may take together (8 MiB of float32).
    private const int PartialBudget = 1 << 21;

    /// <summary>Whether <see cref="Run{T}"/> computes the weight gradient of geometry <paramref name="g"/>.</summary>
    // NOTE: with 16 float32 output channels or fewer, half of each 2-vector block would be zero rows; there the implicit
    // GEMM measured as fast or faster (at 24 channels this kernel is faster).
    public static bool Applies(Conv2dGeometry g) =>
        Vector512.IsHardwareAccelerated && g.KernelH == 3 && g.KernelW == 3 && g.StrideH == 1 && g.StrideW == 1
        && g.DilationH == 1 && g.DilationW == 1 && g.Groups == 1 && g.OutChannels > 16;

    /// <summary>gw [OutChannels, InChannels, 3, 3] = the weight gradient of x [Batch, InChannels, InH, InW] and gy [Batch, OutChannels, OutH, OutW].</summary>
    public static void Run<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T> =>
        new Job<T>(g).Run(x, gy, gw);

    private sealed class Job<T>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private static readonly int Mr = 2 * Vector512<T>.Count;
        private readonly ConvInput _l = new(g);
        private readonly int _blocks = (g.OutChannels + Mr - 1) / Mr;
        private int _ranges, _chunks, _group;
        private T[][] _partials = [];
        private T* _x, _gy;

        public void Run(T[] x, T[] gy, T[] gw)
        {
            int size = g.OutChannels * g.PatchSize;
            if (g.Batch == 0 || g.OutPlane == 0)
            {
                gw.AsSpan(0, size).Clear();
                return;
            }
            // Batch chunks first (every sample is read by one item), as many as the partials' budget allows ...
            _chunks = 1 << BitOperations.Log2((uint)Math.Clamp(PartialBudget / size, 1, Math.Min(Items, g.Batch)));
            // ... then ranges of output-channel blocks (each reads all of its samples' inputs).
            _ranges = Math.Min(_blocks, (Items + _chunks - 1) / _chunks);
            // Samples summed together: enough for Depth positions (one when a plane has that many).
            _group = Math.Clamp(Depth / g.OutPlane, 1, (g.Batch + _chunks - 1) / _chunks);
            _partials = new T[_chunks][];
            _partials[0] = gw;
            try
            {
                for (int ch = 1; ch < _chunks; ch++) _partials[ch] = ArrayPool<T>.Shared.Rent(size);
                fixed (T* px = x, pg = gy)
                {
                    _x = px;
                    _gy = pg;
                    Parallelism.For(0, _ranges * _chunks, Item, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
                }
                if (_chunks > 1) Parallelism.For(0, Items, AddPartials, size >= Items * 4096);
            }
            finally
            {
                for (int ch = 1; ch < _chunks; ch++)
                    if (_partials[ch] is not null) ArrayPool<T>.Shared.Return(_partials[ch]);
            }
        }

        // gw += the partials of chunks 1, 2, ... in order, on segment `item` of gw.
        private void AddPartials(int item)
        {
            int size = g.OutChannels * g.PatchSize, i0 = (int)((long)size * item / Items), i1 = (int)((long)size * (item + 1) / Items);
            var total = _partials[0].AsSpan(i0, i1 - i0);
            for (int ch = 1; ch < _chunks; ch++) TensorPrimitives.Add(total, _partials[ch].AsSpan(i0, i1 - i0), total);
        }

        // Output channels [k0, k1) (whole blocks) over samples [n0, n1) of one chunk, written to the chunk's partial.
        private void Item(int item)
        {
            int r = item / _chunks, ch = item % _chunks, mr = Mr, patch = g.PatchSize, plane = g.OutPlane;
            int b0 = _blocks * r / _ranges, b1 = _blocks * (r + 1) / _ranges, k0 = b0 * mr, k1 = Math.Min(g.OutChannels, b1 * mr);
            int n0 = (int)((long)g.Batch * ch / _chunks), n1 = (int)((long)g.Batch * (ch + 1) / _chunks);
            int width = (b1 - b0) * mr, window = (int)(_l.Padded ? _l.Plane : 0);
            nint aStride = (nint)plane * mr;
            var accArray = ArrayPool<T>.Shared.Rent(patch * width);
            var padArray = ArrayPool<T>.Shared.Rent(Math.Max(1, _group * window));
            var aArray = ArrayPool<T>.Shared.Rent((b1 - b0) * _group * plane * mr);
            var colsArray = ArrayPool<nint>.Shared.Rent(patch);
            try
            {
                fixed (T* acc = accArray, pad = padArray, ap = aArray)
                {
                    new Span<T>(acc, patch * width).Clear();
                    new Span<T>(pad, _group * window).Clear();
                    T** src = stackalloc T*[mr];
                    for (int n = n0; n < n1; n += _group)
                    {
                        int count = Math.Min(_group, n1 - n);
                        // The samples' output gradients, block by block: [count, plane, Mr], rows past OutChannels zero.
                        for (int b = b0; b < b1; b++)
                            for (int s = 0; s < count; s++)
                            {
                                int h = Math.Min(mr, g.OutChannels - b * mr);
                                for (int i = 0; i < h; i++) src[i] = _gy + ((nint)(n + s) * g.OutChannels + b * mr + i) * plane;
                                Gemm.Interleave(src, h, plane, ap + ((nint)(b - b0) * _group + s) * aStride, mr);
                            }
                        for (int c = 0; c < g.InChannels; c++)
                        {
                            // NOTE: the hardware prefetchers miss the jump to the next channel's planes; fetching them one
                            // channel ahead hides about half of the input's memory latency (measured at 32x32).
                            if (c + 1 < g.InChannels)
                                for (int s = 0; s < count; s++) Prefetch(_x + ((nint)(n + s) * g.InChannels + c + 1) * g.InPlane, g.InPlane);
                            // Channel c of the samples, readable by every tap: x itself, or copied into pad with zeros around.
                            T* xc = _x + ((nint)n * g.InChannels + c) * g.InPlane;
                            nint xStride = (nint)g.InChannels * g.InPlane;
                            if (_l.Padded)
                            {
                                for (int s = 0; s < count; s++) _l.CopyPlane(xc + s * xStride, pad + (nint)s * window, g);
                                xc = pad;
                                xStride = window;
                            }
                            for (int b = b0; b < b1; b++)
                                Tile(ap + (nint)(b - b0) * _group * aStride, aStride, xc, xStride, count, g.OutH, g.OutW, _l.Row,
                                    acc + (nint)c * 9 * width + (b - b0) * mr, width);
                        }
                    }
                    // gw[k, p] (or the chunk's partial) = acc[p, k - k0]
                    fixed (T* pw = _partials[ch])
                    fixed (nint* cols = colsArray)
                    {
                        for (int p = 0; p < patch; p++) cols[p] = (nint)(acc + (nint)p * width);
                        Gemm.Interleave((T**)cols, patch, k1 - k0, pw + (nint)k0 * patch, patch);
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(accArray);
                ArrayPool<T>.Shared.Return(padArray);
                ArrayPool<T>.Shared.Return(aArray);
                ArrayPool<nint>.Shared.Return(colsArray);
            }
        }

        // Fetches the cache lines of p[0, length) into L1.
        private static void Prefetch(T* p, int length)
        {
            if (Sse.IsSupported)
                for (nint i = 0; i < length; i += 64 / sizeof(T)) Sse.Prefetch0(p + i);
        }

        /// <summary>
        /// c[(a*3 + e) * ldc + t] += sum over samples s &lt; count, rows i &lt; h, columns j &lt; ow of
        /// gyT[s, i*ow + j, t] x[s, i + a, j + e] for t &lt; Mr, where gyT of sample s starts at a + s * aStride
        /// (rows of Mr) and x of sample s at x + s * xStride (rows <paramref name="row"/> apart).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void Tile(T* a, nint aStride, T* x, nint xStride, int count, int h, int ow, nint row, T* c, nint ldc)
        {
            nint v = Vector512<T>.Count;
            Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
                c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
                c60 = default, c61 = default, c70 = default, c71 = default, c80 = default, c81 = default;
            for (int s = 0; s < count; s++)
            {
                T* ap = a + s * aStride, r0 = x + s * xStride;
                for (int i = 0; i < h; i++, r0 += row)
                {
                    T* r1 = r0 + row, r2 = r1 + row;
                    for (nint j = 0; j < ow; j++, ap += 2 * v)
                    {
                        var a0 = Vector512.Load(ap);
                        var a1 = Vector512.Load(ap + v);
                        Vector512<T> xv;
                        xv = Vector512.Create(r0[j]); c00 = Fma(a0, xv, c00); c01 = Fma(a1, xv, c01);
                        xv = Vector512.Create(r0[j + 1]); c10 = Fma(a0, xv, c10); c11 = Fma(a1, xv, c11);
                        xv = Vector512.Create(r0[j + 2]); c20 = Fma(a0, xv, c20); c21 = Fma(a1, xv, c21);
                        xv = Vector512.Create(r1[j]); c30 = Fma(a0, xv, c30); c31 = Fma(a1, xv, c31);
                        xv = Vector512.Create(r1[j + 1]); c40 = Fma(a0, xv, c40); c41 = Fma(a1, xv, c41);
                        xv = Vector512.Create(r1[j + 2]); c50 = Fma(a0, xv, c50); c51 = Fma(a1, xv, c51);
                        xv = Vector512.Create(r2[j]); c60 = Fma(a0, xv, c60); c61 = Fma(a1, xv, c61);
                        xv = Vector512.Create(r2[j + 1]); c70 = Fma(a0, xv, c70); c71 = Fma(a1, xv, c71);
                        xv = Vector512.Create(r2[j + 2]); c80 = Fma(a0, xv, c80); c81 = Fma(a1, xv, c81);
                    }
                }
            }
            Add(c, c00, c01); Add(c + ldc, c10, c11); Add(c + 2 * ldc, c20, c21);
            Add(c + 3 * ldc, c30, c31); Add(c + 4 * ldc, c40, c41); Add(c + 5 * ldc, c50, c51);
            Add(c + 6 * ldc, c60, c61); Add(c + 7 * ldc, c70, c71); Add(c + 8 * ldc, c80, c81);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Add(T* c, Vector512<T> v0, Vector512<T> v1)
        {
            T* c1 = c + Vector512<T>.Count;
            (Vector512.Load(c) + v0).Store(c);
            (Vector512.Load(c1) + v1).Store(c1);
        }
    }
}
