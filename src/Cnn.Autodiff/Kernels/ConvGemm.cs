using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Convolution as implicit GEMM: the column matrix cols [Cg*KernelH*KernelW, OutH*OutW] of im2col is never
/// built whole. Its blocks are copied straight from the input (or from a zero-padded copy of one sample)
/// into the packed slivers the <see cref="IGemmMicroKernel{T}"/> reads, a block at a time, so they stay in
/// cache. The forward pass multiplies the weights (packed once per call) by those slivers; the weight
/// gradient multiplies column blocks (transposed while packing) by the output gradient.
/// </summary>
internal static unsafe class ConvGemm
{
    // Output positions per block of the forward pass (a multiple of every Nr): a KC x 512 float panel is 512 KiB, in L2.
    private const int ColumnChunk = 512;

    // Below this many multiply-adds in total a call runs on one thread.
    internal const long ParallelMacs = 1L << 21;

    // The forward pass cuts small batches into at least this many items (blocks of columns of a sample).
    private const int MinItems = 8;

    // The weight gradient's items are blocks of at most this many columns (patch entries) of gw ...
    private const int PatchBlock = 128;

    // ... and, when there are fewer blocks than this, also chunks of the batch (at most WeightGradChunks),
    // whose partial sums are added in chunk order; both depend only on the sizes.
    private const int MinPatchBlocks = 4;
    private const int WeightGradChunks = 8;

    /// <summary>A run of consecutive output columns of cols that reads input positions Src, Src + s, ... (s the stride).</summary>
    private readonly record struct Segment(nint Src, int Dst, int Len);

    // Upper bound on the segments of a run of `columns` output columns.
    private static int MaxSegments(int columns, int outW) => columns / outW + 2;

    // The runs of output columns [j0, j1): one per output row, merged where the reads continue contiguously.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Segments(Conv2dGeometry g, ConvInput l, int j0, int j1, Segment* segs)
    {
        int n = 0, ow = g.OutW;
        for (int j = j0; j < j1;)
        {
            int oi = j / ow, oj = j - oi * ow, len = Math.Min(ow - oj, j1 - j);
            nint src = oi * g.StrideH * l.Row + (nint)oj * g.StrideW;
            if (n > 0 && g.StrideW == 1 && segs[n - 1].Src + segs[n - 1].Len == src)
                segs[n - 1] = segs[n - 1] with { Len = segs[n - 1].Len + len };
            else
                segs[n++] = new Segment(src, j - j0, len);
            j += len;
        }
        return n;
    }

    // dst[(p - p0) * ldd + t] = cols[p, j0 + t] for rows p in [p0, p1) and the columns the segments of
    // [j0, j1) cover, and 0 for t in [j1 - j0, width).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fill<T>(T* src, nint* taps, int p0, int p1, Segment* segs, int nseg, int stride, T* dst, nint ldd, int filled, int width)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < nseg; i++)
        {
            var seg = segs[i];
            T* s = src + seg.Src, d = dst + seg.Dst;
            if (stride == 1 && seg.Len == Vector512<T>.Count)
                for (int p = p0; p < p1; p++) Vector512.Store(Vector512.Load(s + taps[p]), d + (p - p0) * ldd);
            else if (stride == 1 && seg.Len == 2 * Vector512<T>.Count)
                for (int p = p0; p < p1; p++)
                {
                    T* sp = s + taps[p], dp = d + (p - p0) * ldd;
                    Vector512.Store(Vector512.Load(sp), dp);
                    Vector512.Store(Vector512.Load(sp + Vector512<T>.Count), dp + Vector512<T>.Count);
                }
            else if (stride == 1 && seg.Len < Vector512<T>.Count && Vector512.IsHardwareAccelerated)
            {
                // A short run (such as an 8-wide output row): one masked read and write per row, no call.
                var m = Simd.FirstLanes<T>(seg.Len);
                for (int p = p0; p < p1; p++) Simd.MaskedStore(d + (p - p0) * ldd, m, Simd.MaskedLoad(s + taps[p], m));
            }
            else
                for (int p = p0; p < p1; p++) ConvInput.Copy(s + taps[p], d + (p - p0) * ldd, seg.Len, stride);
        }
        if (filled < width)
            for (int p = p0; p < p1; p++) new Span<T>(dst + (p - p0) * ldd + filled, width - filled).Clear();
    }

    /// <summary>y = conv(x, w) + b, as <see cref="Conv2dKernels.Forward{T}(T[], T[], T[], T[], Conv2dGeometry)"/>.</summary>
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated) new ForwardJob<T, GemmKernel512<T>>(g).Run(x, w, b, y);
        else new ForwardJob<T, GemmKernel256<T>>(g).Run(x, w, b, y);
    }

    /// <summary>gw = the weight gradient, as <see cref="Conv2dKernels.WeightGrad{T}(T[], T[], T[], Conv2dGeometry)"/>.</summary>
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Vector512.IsHardwareAccelerated) new WeightGradJob<T, GemmKernel512<T>>(g).Run(x, gy, gw);
        else new WeightGradJob<T, GemmKernel256<T>>(g).Run(x, gy, gw);
    }

    /// <summary>
    /// The forward pass. Items are (sample, range of column chunks); each computes every output channel of
    /// its columns, so each output element is written by one item, summed over the patch in increasing order.
    /// </summary>
    private sealed class ForwardJob<T, K>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        private readonly ConvInput _l = new(g);
        private readonly int _chunks = (g.OutPlane + ColumnChunk - 1) / ColumnChunk;
        private readonly int _kgRows = Gemm.RoundUp(g.OutChannelsPerGroup, K.Mr);
        private readonly int _depth = Gemm.Depth(g.PatchSize);
        private int _itemsPerSample;
        private T* _x, _wp, _b, _y;
        private nint* _taps;

        public void Run(T[] x, T[] w, T[]? b, T[] y)
        {
            int patch = g.PatchSize, kg = g.OutChannelsPerGroup;
            var packed = ArrayPool<T>.Shared.Rent(g.Groups * _kgRows * patch);
            var taps = _l.Taps(g);
            try
            {
                fixed (T* px = x, pw = w, pb = b, py = y, pp = packed)
                fixed (nint* pt = taps)
                {
                    _x = px;
                    _b = pb;
                    _y = py;
                    _wp = pp;
                    _taps = pt;
                    // The weights of each group, packed once.
                    for (int grp = 0; grp < g.Groups; grp++)
                        Gemm.PackRows(pp + (nint)grp * _kgRows * patch, pw + (nint)grp * kg * patch, kg, patch, K.Mr);
                    _itemsPerSample = g.Batch >= MinItems ? 1 : Math.Min(_chunks, (MinItems + g.Batch - 1) / g.Batch);
                    int items = g.Batch * _itemsPerSample;
                    Parallelism.For(0, items, Item, g.MacsPerSample * g.Batch >= ParallelMacs);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(packed);
            }
        }

        private void Item(int item)
        {
            int n = item / _itemsPerSample, q = item % _itemsPerSample, nr = K.Nr;
            int c0 = q * _chunks / _itemsPerSample, c1 = (q + 1) * _chunks / _itemsPerSample;
            int patch = g.PatchSize, kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, plane = g.OutPlane;
            var padArray = _l.Rent<T>(g);
            var bpArray = ArrayPool<T>.Shared.Rent(Gemm.KC * ColumnChunk);
            try
            {
                fixed (T* pad = padArray, bp = bpArray)
                {
                    Segment* segs = stackalloc Segment[MaxSegments(nr, g.OutW)];
                    for (int grp = 0; grp < g.Groups; grp++)
                    {
                        T* src = _l.Source(_x + ((nint)n * g.InChannels + grp * cg) * g.InPlane, pad, g);
                        T* wg = _wp + (nint)grp * _kgRows * patch;
                        T* yg = _y + ((nint)n * g.OutChannels + grp * kg) * plane;
                        for (int ch = c0; ch < c1; ch++)
                        {
                            int j0 = ch * ColumnChunk, nc = Math.Min(ColumnChunk, plane - j0);
                            for (int pc = 0; pc < patch; pc += _depth)
                            {
                                int kc = Math.Min(_depth, patch - pc);
                                for (int s = 0; s * nr < nc; s++)
                                {
                                    int jj = j0 + s * nr, w = Math.Min(nr, j0 + nc - jj);
                                    int nseg = Segments(g, _l, jj, jj + w, segs);
                                    Fill(src, _taps, pc, pc + kc, segs, nseg, g.StrideW, bp + (nint)s * kc * nr, nr, w, nr);
                                }
                                Gemm.Tiles<T, K>(wg + (nint)_kgRows * pc, bp, kg, nc, kc, yg + j0, plane, add: pc > 0);
                            }
                            if (_b != null)
                                for (int k = 0; k < kg; k++)
                                {
                                    var row = new Span<T>(yg + (nint)k * plane + j0, nc);
                                    TensorPrimitives.Add(row, _b[grp * kg + k], row);
                                }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
                ArrayPool<T>.Shared.Return(bpArray);
            }
        }
    }

    /// <summary>
    /// The weight gradient gw [Kg, patch] = sum over samples of gy_n cols_n^T, per group, written in place.
    /// Work items are blocks of columns of gw (ranges of the patch). With enough blocks, samples are taken a group
    /// at a time: their padded inputs and packed output gradients are prepared once, then every block adds their
    /// products; one parallel loop does both, adding the products of one group while preparing the next into a
    /// second set of buffers, so the threads meet once per group. With few blocks, items are also chunks of the batch (at
    /// most <c>WeightGradChunks</c>), each preparing its own samples, and the chunk partials are added in chunk
    /// order. The blocking depends only on the sizes, and each element of gw is summed over samples in order and
    /// over output positions in blocks of increasing order, so the result does not depend on the thread count.
    /// </summary>
    private sealed class WeightGradJob<T, K>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T> where K : IGemmMicroKernel<T>
    {
        private readonly ConvInput _l = new(g);
        private readonly int _size = g.OutChannels * g.PatchSize;
        private readonly int _depth = Gemm.Depth(g.OutPlane);
        // Packed gy of one sample-group: for each depth block, slivers [kc, Mr] of its Kg rows.
        private readonly int _packedSize = Gemm.RoundUp(g.OutChannelsPerGroup, K.Mr) * g.OutPlane;
        private readonly int _padSize = Math.Max(1, new ConvInput(g).CopySize(g));
        private int _blocks, _blockWidth, _chunks, _group, _n0, _n1, _n2, _cur;
        private T[][] _partials = [];
        private T* _x, _gy, _sharedPad, _sharedA;
        private nint* _taps;

        public void Run(T[] x, T[] gy, T[] gw)
        {
            int patch = g.PatchSize;
            // About eight blocks, each a whole number of slivers and at most PatchBlock wide.
            _blockWidth = Math.Clamp(Gemm.RoundUp((patch + 7) / 8, K.Nr), K.Nr, PatchBlock);
            _blocks = (patch + _blockWidth - 1) / _blockWidth;
            _chunks = _blocks >= MinPatchBlocks ? 1 : Math.Max(1, Math.Min(g.Batch, WeightGradChunks));
            bool parallel = g.MacsPerSample * g.Batch >= ParallelMacs;
            var taps = _l.Taps(g);
            _partials = new T[_chunks][];
            _partials[0] = gw;
            // Samples per group on the shared path: about 2 MiB of prepared data, at least one sample.
            int perSample = g.Groups * (_padSize + _packedSize);
            _group = Math.Clamp((1 << 19) / perSample, 1, 8);
            int buffers = 2 * _group * g.Groups;
            T[]? pads = null, packed = null;
            try
            {
                for (int ch = 1; ch < _chunks; ch++) _partials[ch] = ArrayPool<T>.Shared.Rent(_size);
                foreach (var a in _partials) a.AsSpan(0, _size).Clear();
                if (_chunks == 1)
                {
                    pads = ArrayPool<T>.Shared.Rent(buffers * _padSize);
                    packed = ArrayPool<T>.Shared.Rent(buffers * _packedSize);
                    pads.AsSpan(0, buffers * _padSize).Clear();
                }
                fixed (T* px = x, pg = gy, sp = pads, sa = packed)
                fixed (nint* pt = taps)
                {
                    _x = px;
                    _gy = pg;
                    _taps = pt;
                    _sharedPad = sp;
                    _sharedA = sa;
                    if (_chunks > 1) Parallelism.For(0, _chunks * _blocks, ChunkItem, parallel);
                    else
                        // Each loop adds the products of samples [_n0, _n1), prepared in set _cur of the buffers,
                        // and prepares samples [_n1, _n2) into the other set.
                        for ((_n0, _n1, _cur) = (0, 0, 1); ; (_n0, _n1, _cur) = (_n1, _n2, 1 - _cur))
                        {
                            _n2 = Math.Min(g.Batch, _n1 + _group);
                            int items = (_n1 > _n0 ? _blocks : 0) + (_n2 - _n1) * g.Groups;
                            if (items == 0) break;
                            Parallelism.For(0, items, SharedStep, parallel);
                        }
                }
                var total = gw.AsSpan(0, _size);
                for (int ch = 1; ch < _chunks; ch++) TensorPrimitives.Add(total, _partials[ch].AsSpan(0, _size), total);
            }
            finally
            {
                for (int ch = 1; ch < _chunks; ch++)
                    if (_partials[ch] is not null) ArrayPool<T>.Shared.Return(_partials[ch]);
                if (pads is not null) ArrayPool<T>.Shared.Return(pads);
                if (packed is not null) ArrayPool<T>.Shared.Return(packed);
            }
        }

        // Item of a shared-path loop: a block of the current group's products, or a sample-group of the next group.
        private void SharedStep(int item)
        {
            int blocks = _n1 > _n0 ? _blocks : 0, i = item - blocks;
            if (item < blocks) SharedItem(item);
            else Prepare(_n1 + i / g.Groups, i % g.Groups, SharedPad(1 - _cur, i), SharedA(1 - _cur, i));
        }

        // Where sample-group i of a group is prepared in set `set` of the shared buffers.
        private T* SharedPad(int set, int i) => _sharedPad + ((nint)set * _group * g.Groups + i) * _padSize;

        private T* SharedA(int set, int i) => _sharedA + ((nint)set * _group * g.Groups + i) * _packedSize;

        // Readies sample n, group grp: its padded input in pad (when padding is needed; returns where to read the
        // input) and its output gradient gy [Kg, plane] packed into ap, depth block by depth block.
        private T* Prepare(int n, int grp, T* pad, T* ap)
        {
            int mr = K.Mr, kg = g.OutChannelsPerGroup, plane = g.OutPlane, rowsUp = Gemm.RoundUp(kg, mr);
            T** rows = stackalloc T*[mr];
            T* gyg = _gy + ((nint)n * g.OutChannels + grp * kg) * plane;
            for (int jb = 0; jb < plane; jb += _depth)
            {
                int kc = Math.Min(_depth, plane - jb);
                T* block = ap + (nint)rowsUp * jb;
                for (int i = 0; i < kg; i += mr)
                {
                    int h = Math.Min(mr, kg - i);
                    for (int r = 0; r < h; r++) rows[r] = gyg + (nint)(i + r) * plane + jb;
                    Gemm.Interleave(rows, h, kc, block + (nint)(i / mr) * kc * mr, mr);
                }
            }
            return _l.Source(_x + ((nint)n * g.InChannels + grp * g.InChannelsPerGroup) * g.InPlane, pad, g);
        }

        private void SharedItem(int blk)
        {
            var (cols, bp) = (ArrayPool<T>.Shared.Rent(_blockWidth * Gemm.KC), ArrayPool<T>.Shared.Rent(Gemm.KC * _blockWidth));
            try
            {
                fixed (T* pc = cols, pb = bp, acc = _partials[0])
                    for (int n = _n0; n < _n1; n++)
                        for (int grp = 0; grp < g.Groups; grp++)
                        {
                            int i = (n - _n0) * g.Groups + grp;
                            T* src = _l.Padded ? SharedPad(_cur, i) : _x + ((nint)n * g.InChannels + grp * g.InChannelsPerGroup) * g.InPlane;
                            AddBlock(blk, grp, src, SharedA(_cur, i), acc, pc, pb);
                        }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(cols);
                ArrayPool<T>.Shared.Return(bp);
            }
        }

        private void ChunkItem(int item)
        {
            int ch = item / _blocks, blk = item % _blocks;
            var padArray = _l.Rent<T>(g);
            var apArray = ArrayPool<T>.Shared.Rent(_packedSize);
            var (cols, bp) = (ArrayPool<T>.Shared.Rent(_blockWidth * Gemm.KC), ArrayPool<T>.Shared.Rent(Gemm.KC * _blockWidth));
            try
            {
                fixed (T* acc = _partials[ch], pad = padArray, ap = apArray, pc = cols, pb = bp)
                {
                    int end = (int)((long)(ch + 1) * g.Batch / _chunks);
                    for (int n = (int)((long)ch * g.Batch / _chunks); n < end; n++)
                        for (int grp = 0; grp < g.Groups; grp++)
                            AddBlock(blk, grp, Prepare(n, grp, pad, ap), ap, acc, pc, pb);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
                ArrayPool<T>.Shared.Return(apArray);
                ArrayPool<T>.Shared.Return(cols);
                ArrayPool<T>.Shared.Return(bp);
            }
        }

        // acc[grp*Kg + k, p] += sum_j gy[k, j] cols[p, j] over block blk of p, for one prepared sample-group.
        private void AddBlock(int blk, int grp, T* src, T* ap, T* acc, T* cols, T* bp)
        {
            int nr = K.Nr, patch = g.PatchSize, kg = g.OutChannelsPerGroup, plane = g.OutPlane, rowsUp = Gemm.RoundUp(kg, K.Mr);
            int p0 = blk * _blockWidth, pw = Math.Min(_blockWidth, patch - p0);
            Segment* segs = stackalloc Segment[MaxSegments(Gemm.KC, g.OutW)];
            T** rows = stackalloc T*[nr];
            for (int jb = 0; jb < plane; jb += _depth)
            {
                int kc = Math.Min(_depth, plane - jb);
                // The block's rows of cols [pw, kc] interleaved into slivers [kc, Nr]: with unit horizontal stride
                // straight from the input, one contiguous run (segment) at a time, else gathered into cols first.
                int nseg = Segments(g, _l, jb, jb + kc, segs);
                bool direct = g.StrideW == 1;
                if (!direct) Fill(src, _taps, p0, p0 + pw, segs, nseg, g.StrideW, cols, kc, kc, kc);
                for (int j = 0; j < pw; j += nr)
                {
                    int w = Math.Min(nr, pw - j);
                    T* sliver = bp + (nint)(j / nr) * kc * nr;
                    if (direct)
                        for (int i = 0; i < nseg; i++)
                        {
                            for (int r = 0; r < w; r++) rows[r] = src + _taps[p0 + j + r] + segs[i].Src;
                            Gemm.Interleave(rows, w, segs[i].Len, sliver + (nint)segs[i].Dst * nr, nr);
                        }
                    else
                    {
                        for (int r = 0; r < w; r++) rows[r] = cols + (nint)(j + r) * kc;
                        Gemm.Interleave(rows, w, kc, sliver, nr);
                    }
                }
                Gemm.Tiles<T, K>(ap + (nint)rowsUp * jb, bp, kg, pw, kc, acc + (nint)grp * kg * patch + p0, patch, add: true);
            }
        }
    }
}

/// <summary>
/// Where one sample-group of the input is read from: the input itself when every tap falls inside it,
/// otherwise a zero-padded copy [Cg, Hp, Wp] with the input at (PadTop, PadLeft) that covers every tap.
/// </summary>
internal readonly unsafe struct ConvInput
{
    public readonly bool Padded;
    public readonly int Hp, Wp;
    public readonly nint Plane, Row;

    public ConvInput(Conv2dGeometry g)
    {
        Hp = (g.OutH - 1) * g.StrideH + (g.KernelH - 1) * g.DilationH + 1;
        Wp = (g.OutW - 1) * g.StrideW + (g.KernelW - 1) * g.DilationW + 1;
        Padded = g.PadTop != 0 || g.PadLeft != 0 || Hp > g.InH || Wp > g.InW;
        Plane = Padded ? (nint)Hp * Wp : g.InPlane;
        Row = Padded ? Wp : g.InW;
    }

    public int CopySize(Conv2dGeometry g) => Padded ? g.InChannelsPerGroup * Hp * Wp : 0;

    // taps[(c*KernelH + a)*KernelW + e]: the offset of the read of output (0, 0) at channel c, tap (a, e).
    public nint[] Taps(Conv2dGeometry g) => Taps(g, Plane, Row);

    // The same for an input laid out with channel planes `plane` and rows `row` apart.
    public static nint[] Taps(Conv2dGeometry g, nint plane, nint row)
    {
        var taps = new nint[g.PatchSize];
        for (int c = 0, p = 0; c < g.InChannelsPerGroup; c++)
            for (int a = 0; a < g.KernelH; a++)
                for (int e = 0; e < g.KernelW; e++)
                    taps[p++] = c * plane + a * g.DilationH * row + e * g.DilationW;
        return taps;
    }

    // The sample-group's readable input: x itself, or x copied into pad with zeros around it.
    /// <summary>A buffer for <see cref="Source{T}"/> from the shared pool, zeroed: its padding stays zero across samples.</summary>
    public T[] Rent<T>(Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pad = ArrayPool<T>.Shared.Rent(Math.Max(1, CopySize(g)));
        pad.AsSpan(0, CopySize(g)).Clear();
        return pad;
    }

    /// <summary>
    /// The sample-group's readable input: x itself, or x copied into the interior of <paramref name="pad"/>
    /// (a buffer from <see cref="Rent{T}"/>, used only for this geometry, whose padding is still zero).
    /// </summary>
    public T* Source<T>(T* x, T* pad, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Padded) return x;
        for (int c = 0; c < g.InChannelsPerGroup; c++) CopyPlane(x + c * (nint)g.InPlane, pad + c * Plane, g);
        return pad;
    }

    /// <summary>
    /// Copies one channel x [InH, InW] into the interior of <paramref name="pad"/> [Hp, Wp] (whose padding is
    /// still zero), when <see cref="Padded"/>.
    /// </summary>
    public void CopyPlane<T>(T* x, T* pad, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T> =>
        CopyColumns(x, pad, g, Hp, Wp, 0);

    /// <summary>
    /// Copies columns [<paramref name="first"/>, first + <paramref name="width"/>) of rows [0, <paramref name="hp"/>) of
    /// one channel's zero-padded plane (x [InH, InW] at (PadTop, PadLeft) in zeros) into <paramref name="pad"/>
    /// [hp, width]: only the elements that come from x are written, so the rest of pad keeps its zeros.
    /// </summary>
    public static void CopyColumns<T>(T* x, T* pad, Conv2dGeometry g, int hp, int width, int first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Column j of pad holds input column j + shift.
        int shift = first - g.PadLeft, j0 = Math.Max(0, -shift), j1 = Math.Min(width, g.InW - shift);
        int r0 = Math.Max(0, g.PadTop), r1 = Math.Min(hp, g.PadTop + g.InH);
        if (j1 <= j0) return;
        for (int r = r0; r < r1; r++)
            Copy(x + (r - g.PadTop) * (nint)g.InW + j0 + shift, pad + (nint)r * width + j0, j1 - j0, 1);
    }

    /// <summary>d[t] = s[t * stride] for t &lt; len, by whole vectors when stride is 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Copy<T>(T* s, T* d, int len, int stride) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int t = 0;
        if (stride == 1)
        {
            for (; t <= len - Vector512<T>.Count; t += Vector512<T>.Count) Vector512.Store(Vector512.Load(s + t), d + t);
            for (; t <= len - Vector256<T>.Count; t += Vector256<T>.Count) Vector256.Store(Vector256.Load(s + t), d + t);
            for (; t < len; t++) d[t] = s[t];
        }
        else
            for (; t < len; t++) d[t] = s[t * stride];
    }
}
