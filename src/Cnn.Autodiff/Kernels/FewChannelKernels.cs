using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Direct SIMD forward convolution with unit strides and fewer than 8 output channels per group, such as the
/// input gradient of a first layer on 3-channel images (the transposed convolution runs as this forward with the
/// flipped kernel). A GEMM would pad its few rows to a micro-kernel height and pack a column matrix used by
/// those few rows only; here a tile of 3 output channels by 8 output vectors (24 accumulators in registers)
/// sums input channel by input channel and tap by tap, reading shifted vectors straight from a zero-padded copy
/// of the sample. Needs AVX-512 (<see cref="Applies"/>).
/// </summary>
internal static unsafe class FewChannelKernels
{
    // Output channels of one tile (the weights broadcast per tap) and output vectors of one tile.
    private const int Channels = 3, Vectors = 8;

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

    // The sample-group's input x [Cg, InH, InW] copied into pad [Cg, hp, wp] at (PadTop, PadLeft); the rest of pad
    // (zeroed once per buffer) is never written.
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
}
