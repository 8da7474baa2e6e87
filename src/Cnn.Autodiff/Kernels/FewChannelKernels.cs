using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Cnn.Autodiff.Kernels.Simd;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Direct SIMD forward convolution with unit strides and fewer than 8 output channels per group, such as the
/// input gradient of a first layer on 3-channel images (the transposed convolution runs as this forward with the
/// flipped kernel). A GEMM would pad its few rows to a micro-kernel height and pack a column matrix used by
/// those few rows only; here a tile of 3 output channels by 8 output vectors (24 accumulators in registers)
/// sums input channel by input channel and tap by tap, reading shifted vectors straight from a zero-padded copy
/// of the sample. The weight gradient with few input channels (a patch of at most 36 entries) is computed the same
/// way, without packing (<see cref="WeightGrad{T}"/>). Needs AVX-512.
/// </summary>
internal static unsafe class FewChannelKernels
{
    // Output channels of one tile (the weights broadcast per tap) and output vectors of one tile.
    private const int Channels = 3, Vectors = 8;

    // Patch entries of a weight-gradient tile, the most patch entries the weight gradient serves, and its batch chunks.
    private const int GradPatch = 9, MaxGradPatch = 36, GradChunks = 8;

    // Parallel items at most: ranges of samples (and groups), more than the cores so they balance.
    private const int MaxItems = 16;

    /// <summary>Whether these kernels serve <paramref name="g"/>: unit strides, 1 to 7 output channels per group, not depthwise, AVX-512.</summary>
    public static bool Applies(Conv2dGeometry g) =>
        Vector512.IsHardwareAccelerated && g.StrideH == 1 && g.StrideW == 1 && g.OutChannelsPerGroup < 8
        && !DepthwiseKernels.Applies(g);

    /// <summary>
    /// y[n, k, i, j] = b[k] + sum_{c, a, e} x[n, G*Cg + c, i - pt + a*dh, j - pl + e*dw] w[k, c, a, e] for unit
    /// strides, summed over c, then a, then e, then the bias added. Each sample-group is computed by one thread.
    /// </summary>
    // NOTE: Forward, WeightGrad and their per-item bodies are compiled fully optimised from the first call. Under tiered
    // compilation a first layer's forward+backward stayed near 3 ms through a second of repeated runs, against 1.6-1.8 ms.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count, kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, taps = g.KernelH * g.KernelW;
        int tilesPerGroup = (kg + Channels - 1) / Channels;
        // The padded copy of one sample-group: rows cover every tap of every output row, and each row is wide enough
        // for whole vectors of outputs (lanes past OutW read zeros or neighbours and are never stored).
        int rowVectors = (g.OutW + v - 1) / v;
        int wp = rowVectors * v + (g.KernelW - 1) * g.DilationW, hp = g.OutH + (g.KernelH - 1) * g.DilationH;
        nint planeP = (nint)hp * wp;
        int padSize = (int)(cg * planeP);
        // Output vectors, in row order, padded to whole tiles by repeating the last one.
        int positions = g.OutH * rowVectors, tiles = (positions + Vectors - 1) / Vectors;
        var pos = new nint[tiles * Vectors];
        for (int q = 0; q < pos.Length; q++)
        {
            int r = Math.Min(q, positions - 1);
            pos[q] = (nint)(r / rowVectors) * wp + r % rowVectors * v;
        }
        var tapOff = new nint[taps];
        for (int a = 0, t = 0; a < g.KernelH; a++)
            for (int e = 0; e < g.KernelW; e++) tapOff[t++] = (nint)a * g.DilationH * wp + e * g.DilationW;
        // Weights per tile: [Cg, taps, Channels], zero for channels past Kg.
        var packed = new T[g.Groups * tilesPerGroup * cg * taps * Channels];
        for (int grp = 0; grp < g.Groups; grp++)
            for (int tile = 0; tile < tilesPerGroup; tile++)
                for (int r = 0; r < Channels && tile * Channels + r < kg; r++)
                {
                    int k = grp * kg + tile * Channels + r;
                    for (int c = 0; c < cg; c++)
                        for (int t = 0; t < taps; t++)
                            packed[(((grp * tilesPerGroup + tile) * cg + c) * taps + t) * Channels + r] = w[(k * cg + c) * taps + t];
                }
        // Items are contiguous ranges of the (sample, group) pairs, so each range zeroes its padded buffer once.
        int pairs = g.Batch * g.Groups, items = Math.Min(pairs, MaxItems);
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Item(int item)
        {
            var padArray = ArrayPool<T>.Shared.Rent(padSize);
            var outArray = ArrayPool<T>.Shared.Rent(Channels * Vectors * v);
            try
            {
                fixed (T* px = x, py = y, pw = packed, pad = padArray, po = outArray, pb = b)
                fixed (nint* pp = pos, pt = tapOff)
                {
                    new Span<T>(pad, padSize).Clear();
                    for (int pair = (int)((long)item * pairs / items), end = (int)((long)(item + 1) * pairs / items); pair < end; pair++)
                    {
                        int n = pair / g.Groups, grp = pair % g.Groups;
                        CopyInterior(px + ((nint)n * g.InChannels + grp * cg) * g.InPlane, pad, g, hp, wp);
                        for (int tile = 0; tile < tilesPerGroup; tile++)
                        {
                            T* wt = pw + (nint)(grp * tilesPerGroup + tile) * cg * taps * Channels;
                            int k0 = tile * Channels, rows = Math.Min(Channels, kg - k0);
                            T* yk = py + ((nint)n * g.OutChannels + grp * kg + k0) * g.OutPlane;
                            for (int q = 0; q < tiles; q++)
                            {
                                Tile(pad, planeP, cg, pt, taps, pp + q * Vectors, wt, po);
                                // The tile's vectors to y, each cut to the output row's width, plus the bias.
                                for (int s = 0; s < Vectors && q * Vectors + s < positions; s++)
                                {
                                    int r = q * Vectors + s, i = r / rowVectors, j = r % rowVectors * v, len = Math.Min(v, g.OutW - j);
                                    for (int c = 0; c < rows; c++)
                                    {
                                        T bias = pb == null ? T.Zero : pb[grp * kg + k0 + c];
                                        T* src = po + (c * Vectors + s) * v, dst = yk + (nint)c * g.OutPlane + (nint)i * g.OutW + j;
                                        if (len == v) Vector512.Store(Vector512.Load(src) + Vector512.Create(bias), dst);
                                        else for (int l = 0; l < len; l++) dst[l] = src[l] + bias;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
                ArrayPool<T>.Shared.Return(outArray);
            }
        }
        Parallelism.For(0, items, Item, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
    }

    /// <summary>
    /// Whether <see cref="WeightGrad{T}"/> serves <paramref name="g"/>: unit strides, at most 9 patch entries per tile
    /// row and at most <c>MaxGradPatch</c> of them (few input channels, such as a first layer), not depthwise, AVX-512.
    /// </summary>
    public static bool WeightGradApplies(Conv2dGeometry g) =>
        Vector512.IsHardwareAccelerated && g.StrideH == 1 && g.StrideW == 1 && g.PatchSize <= MaxGradPatch
        && !DepthwiseKernels.Applies(g);

    /// <summary>
    /// gw[k, c, a, e] = sum_{n, i, j} gy[n, k, i, j] x[n, G*Cg + c, i - pt + a*dh, j - pl + e*dw] for unit strides.
    /// Tiles of 2 output channels by 9 patch entries keep 18 vector accumulators in registers, each summing
    /// products lane by lane over the output positions of a chunk of samples (in order), then across its lanes;
    /// the batch is cut into at most <c>GradChunks</c> chunks fixed by the batch size, whose partials are added in
    /// chunk order. No column matrix is packed: x is read as shifted vectors from a zero-padded copy of the sample,
    /// gy in place (or from a copy with zeroed row tails when OutW is not a whole number of vectors).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int v = Vector512<T>.Count, kg = g.OutChannelsPerGroup, cg = g.InChannelsPerGroup, patch = g.PatchSize;
        int rowVectors = (g.OutW + v - 1) / v;
        bool tail = g.OutW % v != 0;
        int wp = rowVectors * v + (g.KernelW - 1) * g.DilationW, hp = g.OutH + (g.KernelH - 1) * g.DilationH;
        nint planeP = (nint)hp * wp, gyPlane = (nint)g.OutH * rowVectors * v;
        int padSize = (int)(cg * planeP), kTiles = (kg + 1) / 2, pTiles = (patch + GradPatch - 1) / GradPatch;
        // gy rows of one sample-group as read (a copy padded to kTiles * 2 zero rows when it has row tails).
        int gyCopy = tail ? (int)(kTiles * 2 * gyPlane) : 0;
        // The offset of each patch entry in the padded input, padded to whole tiles by repeating the first.
        var pOff = new nint[pTiles * GradPatch];
        for (int c = 0, q = 0; c < cg; c++)
            for (int a = 0; a < g.KernelH; a++)
                for (int e = 0; e < g.KernelW; e++) pOff[q++] = c * planeP + (nint)a * g.DilationH * wp + e * g.DilationW;
        int chunks = Math.Min(g.Batch, GradChunks), size = g.OutChannels * patch, accCount = kTiles * pTiles * 2 * GradPatch;
        var mask = Vector512.LessThan(Vector512<T>.Indices, Vector512.Create(T.CreateTruncating(g.OutW % v)));
        var partials = new T[chunks][];
        partials[0] = gw;
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        void Item(int item)
        {
            int grp = item % g.Groups, ch = item / g.Groups;
            var padArray = ArrayPool<T>.Shared.Rent(padSize);
            var gyArray = ArrayPool<T>.Shared.Rent(Math.Max(1, gyCopy));
            var accArray = ArrayPool<Vector512<T>>.Shared.Rent(accCount);
            try
            {
                fixed (T* px = x, pg = gy, pad = padArray, gyc = gyArray)
                fixed (Vector512<T>* acc = accArray)
                fixed (nint* po = pOff)
                {
                    new Span<T>(pad, padSize).Clear();
                    new Span<T>(gyc, gyCopy).Clear();
                    new Span<Vector512<T>>(acc, accCount).Clear();
                    for (int n = (int)((long)ch * g.Batch / chunks), end = (int)((long)(ch + 1) * g.Batch / chunks); n < end; n++)
                    {
                        CopyInterior(px + ((nint)n * g.InChannels + grp * cg) * g.InPlane, pad, g, hp, wp);
                        T* gys = pg + ((nint)n * g.OutChannels + grp * kg) * g.OutPlane;
                        if (tail)
                            for (int k = 0; k < kg; k++)
                                for (int i = 0; i < g.OutH; i++)
                                    ConvInput.Copy(gys + (nint)k * g.OutPlane + (nint)i * g.OutW, gyc + k * gyPlane + (nint)i * rowVectors * v, g.OutW, 1);
                        T* rows = tail ? gyc : gys;
                        for (int kt = 0; kt < kTiles; kt++)
                        {
                            // The second row of a last tile past Kg repeats the first (or reads zeros); it is never stored.
                            nint second = tail || 2 * kt + 1 < kg ? gyPlane : 0;
                            for (int pt = 0; pt < pTiles; pt++)
                                GradTile(rows + 2 * kt * gyPlane, second, pad, wp, po + pt * GradPatch, g.OutH, rowVectors, tail, mask,
                                    acc + (kt * pTiles + pt) * 2 * GradPatch);
                        }
                    }
                    var part = partials[ch];
                    for (int k = 0; k < kg; k++)
                        for (int q = 0; q < patch; q++)
                            part[(grp * kg + k) * patch + q] = Vector512.Sum(acc[((k / 2) * pTiles + q / GradPatch) * 2 * GradPatch + k % 2 * GradPatch + q % GradPatch]);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
                ArrayPool<T>.Shared.Return(gyArray);
                ArrayPool<Vector512<T>>.Shared.Return(accArray);
            }
        }
        try
        {
            for (int ch = 1; ch < chunks; ch++) partials[ch] = ArrayPool<T>.Shared.Rent(size);
            Parallelism.For(0, chunks * g.Groups, Item, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
            var total = gw.AsSpan(0, size);
            for (int ch = 1; ch < chunks; ch++) TensorPrimitives.Add(total, partials[ch].AsSpan(0, size), total);
        }
        finally
        {
            for (int ch = 1; ch < chunks; ch++)
                if (partials[ch] is not null) ArrayPool<T>.Shared.Return(partials[ch]);
        }
    }

    // The sample-group's input x [Cg, InH, InW] copied into pad [Cg, hp, wp] at (PadTop, PadLeft); the rest of pad
    // (zeroed once per buffer) is never written.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyInterior<T>(T* x, T* pad, Conv2dGeometry g, int hp, int wp) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int c0 = Math.Max(0, -g.PadLeft), c1 = Math.Min(g.InW, wp - g.PadLeft);
        int r0 = Math.Max(0, -g.PadTop), r1 = Math.Min(g.InH, hp - g.PadTop);
        if (c0 >= c1) return;
        for (int c = 0; c < g.InChannelsPerGroup; c++)
            for (int r = r0; r < r1; r++)
                ConvInput.Copy(x + ((nint)c * g.InH + r) * g.InW + c0, pad + ((nint)c * hp + r + g.PadTop) * wp + c0 + g.PadLeft, c1 - c0, 1);
    }

    // out[c * Vectors + s] (vectors) = sum over input channels ch and taps t of w[ch, t, c] * in[ch * plane + tapOff[t] + pos[s]],
    // in that order, for c < Channels and s < Vectors.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<T>(T* input, nint plane, int channels, nint* tapOff, int taps, nint* pos, T* w, T* output)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint p0 = pos[0], p1 = pos[1], p2 = pos[2], p3 = pos[3], p4 = pos[4], p5 = pos[5], p6 = pos[6], p7 = pos[7];
        Vector512<T> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default,
            b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default,
            c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (int ch = 0; ch < channels; ch++, input += plane)
            for (int t = 0; t < taps; t++, w += Channels)
            {
                T* s = input + tapOff[t];
                Vector512<T> wa = Vector512.Create(w[0]), wb = Vector512.Create(w[1]), wc = Vector512.Create(w[2]), u;
                u = Vector512.Load(s + p0); a0 = Fma(wa, u, a0); b0 = Fma(wb, u, b0); c0 = Fma(wc, u, c0);
                u = Vector512.Load(s + p1); a1 = Fma(wa, u, a1); b1 = Fma(wb, u, b1); c1 = Fma(wc, u, c1);
                u = Vector512.Load(s + p2); a2 = Fma(wa, u, a2); b2 = Fma(wb, u, b2); c2 = Fma(wc, u, c2);
                u = Vector512.Load(s + p3); a3 = Fma(wa, u, a3); b3 = Fma(wb, u, b3); c3 = Fma(wc, u, c3);
                u = Vector512.Load(s + p4); a4 = Fma(wa, u, a4); b4 = Fma(wb, u, b4); c4 = Fma(wc, u, c4);
                u = Vector512.Load(s + p5); a5 = Fma(wa, u, a5); b5 = Fma(wb, u, b5); c5 = Fma(wc, u, c5);
                u = Vector512.Load(s + p6); a6 = Fma(wa, u, a6); b6 = Fma(wb, u, b6); c6 = Fma(wc, u, c6);
                u = Vector512.Load(s + p7); a7 = Fma(wa, u, a7); b7 = Fma(wb, u, b7); c7 = Fma(wc, u, c7);
            }
        nint v = Vector512<T>.Count;
        a0.Store(output); a1.Store(output + v); a2.Store(output + 2 * v); a3.Store(output + 3 * v);
        a4.Store(output + 4 * v); a5.Store(output + 5 * v); a6.Store(output + 6 * v); a7.Store(output + 7 * v);
        output += Vectors * v;
        b0.Store(output); b1.Store(output + v); b2.Store(output + 2 * v); b3.Store(output + 3 * v);
        b4.Store(output + 4 * v); b5.Store(output + 5 * v); b6.Store(output + 6 * v); b7.Store(output + 7 * v);
        output += Vectors * v;
        c0.Store(output); c1.Store(output + v); c2.Store(output + 2 * v); c3.Store(output + 3 * v);
        c4.Store(output + 4 * v); c5.Store(output + 5 * v); c6.Store(output + 6 * v); c7.Store(output + 7 * v);
    }

    // acc[r * 9 + q] += over output rows i and vectors jv of a row: gy[r * gyPlane + (i * rowVectors + jv) * V] *
    // x[pOff[q] + i * wp + jv * V], lanes past OutW masked off (the last vector of a row when `tail`), for r < 2, q < 9.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradTile<T>(T* gy, nint gyPlane, T* x, nint wp, nint* pOff, int rows, int rowVectors, bool tail,
        Vector512<T> mask, Vector512<T>* acc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint o0 = pOff[0], o1 = pOff[1], o2 = pOff[2], o3 = pOff[3], o4 = pOff[4], o5 = pOff[5], o6 = pOff[6], o7 = pOff[7], o8 = pOff[8];
        Vector512<T> a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7], a8 = acc[8],
            b0 = acc[9], b1 = acc[10], b2 = acc[11], b3 = acc[12], b4 = acc[13], b5 = acc[14], b6 = acc[15], b7 = acc[16], b8 = acc[17];
        int full = tail ? rowVectors - 1 : rowVectors;
        nint go = 0, v = Vector512<T>.Count;
        for (int i = 0; i < rows; i++)
        {
            nint xo = i * wp;
            for (int jv = 0; jv < full; jv++, go += v, xo += v)
            {
                T* xs = x + xo;
                Vector512<T> g0 = Vector512.Load(gy + go), g1 = Vector512.Load(gy + gyPlane + go), u;
                u = Vector512.Load(xs + o0); a0 = Fma(g0, u, a0); b0 = Fma(g1, u, b0);
                u = Vector512.Load(xs + o1); a1 = Fma(g0, u, a1); b1 = Fma(g1, u, b1);
                u = Vector512.Load(xs + o2); a2 = Fma(g0, u, a2); b2 = Fma(g1, u, b2);
                u = Vector512.Load(xs + o3); a3 = Fma(g0, u, a3); b3 = Fma(g1, u, b3);
                u = Vector512.Load(xs + o4); a4 = Fma(g0, u, a4); b4 = Fma(g1, u, b4);
                u = Vector512.Load(xs + o5); a5 = Fma(g0, u, a5); b5 = Fma(g1, u, b5);
                u = Vector512.Load(xs + o6); a6 = Fma(g0, u, a6); b6 = Fma(g1, u, b6);
                u = Vector512.Load(xs + o7); a7 = Fma(g0, u, a7); b7 = Fma(g1, u, b7);
                u = Vector512.Load(xs + o8); a8 = Fma(g0, u, a8); b8 = Fma(g1, u, b8);
            }
            if (tail)
            {
                T* xs = x + xo;
                Vector512<T> g0 = Vector512.Load(gy + go), g1 = Vector512.Load(gy + gyPlane + go), u;
                u = (Vector512.Load(xs + o0) & mask); a0 = Fma(g0, u, a0); b0 = Fma(g1, u, b0);
                u = (Vector512.Load(xs + o1) & mask); a1 = Fma(g0, u, a1); b1 = Fma(g1, u, b1);
                u = (Vector512.Load(xs + o2) & mask); a2 = Fma(g0, u, a2); b2 = Fma(g1, u, b2);
                u = (Vector512.Load(xs + o3) & mask); a3 = Fma(g0, u, a3); b3 = Fma(g1, u, b3);
                u = (Vector512.Load(xs + o4) & mask); a4 = Fma(g0, u, a4); b4 = Fma(g1, u, b4);
                u = (Vector512.Load(xs + o5) & mask); a5 = Fma(g0, u, a5); b5 = Fma(g1, u, b5);
                u = (Vector512.Load(xs + o6) & mask); a6 = Fma(g0, u, a6); b6 = Fma(g1, u, b6);
                u = (Vector512.Load(xs + o7) & mask); a7 = Fma(g0, u, a7); b7 = Fma(g1, u, b7);
                u = (Vector512.Load(xs + o8) & mask); a8 = Fma(g0, u, a8); b8 = Fma(g1, u, b8);
                go += v;
            }
        }
        acc[0] = a0; acc[9] = b0;
        acc[1] = a1; acc[10] = b1;
        acc[2] = a2; acc[11] = b2;
        acc[3] = a3; acc[12] = b3;
        acc[4] = a4; acc[13] = b4;
        acc[5] = a5; acc[14] = b5;
        acc[6] = a6; acc[15] = b6;
        acc[7] = a7; acc[16] = b7;
        acc[8] = a8; acc[17] = b8;
    }
}
