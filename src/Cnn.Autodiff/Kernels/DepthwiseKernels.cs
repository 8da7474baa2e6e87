using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Direct SIMD depthwise convolution (one input and one output channel per group) with unit horizontal
/// stride: each output row is a sum over the kernel taps of shifted input rows times one weight, computed a
/// vector of outputs at a time from a zero-padded copy of the plane. Its transpose with unit strides is a
/// depthwise forward convolution with the flipped kernel (see <see cref="Conv2dKernels.Transpose{T}(T[], T[], T[], T[], Conv2dGeometry)"/>).
/// </summary>
internal static unsafe class DepthwiseKernels
{
    /// <summary>Whether <paramref name="g"/> is depthwise with unit horizontal stride, the case these kernels serve.</summary>
    public static bool Applies(Conv2dGeometry g) => g.InChannelsPerGroup == 1 && g.OutChannelsPerGroup == 1 && g.StrideW == 1;

    /// <summary>
    /// y[n, c, i, j] = b[c] + sum_{a, e} x[n, c, i*sh - pt + a*dh, j - pl + e*dw] w[c, 0, a, e], taps summed in
    /// row-major order after the bias; each plane is computed by one thread.
    /// </summary>
    public static void Forward<T>(T[] x, T[] w, T[]? b, T[] y, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ConvInput(g);
        int taps = g.KernelH * g.KernelW, planes = g.Batch * g.OutChannels;
        var offsets = TapOffsets(g, input);
        void Plane(int p)
        {
            var padArray = ArrayPool<T>.Shared.Rent(Math.Max(1, input.CopySize(g)));
            try
            {
                fixed (T* px = x, pw = w, py = y, pad = padArray)
                fixed (nint* off = offsets)
                {
                    int c = p % g.OutChannels;
                    T* src = input.Source(px + (nint)p * g.InPlane, pad, g);
                    T* wc = pw + (nint)c * taps;
                    T bias = b is null ? T.Zero : b[c];
                    for (int i = 0; i < g.OutH; i++)
                        Row(src + i * g.StrideH * input.Row, off, wc, taps, bias, py + (nint)p * g.OutPlane + (nint)i * g.OutW, g.OutW);
                }
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
            }
        }
        Parallelism.For(0, planes, Plane, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
    }

    // dst[j] = bias + sum_t w[t] src[off[t] + j] for j < width.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row<T>(T* src, nint* off, T* w, int taps, T bias, T* dst, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        for (; j <= width - Vector512<T>.Count; j += Vector512<T>.Count)
        {
            var acc = Vector512.Create(bias);
            for (int t = 0; t < taps; t++) acc = Fma(Vector512.Create(w[t]), Vector512.Load(src + off[t] + j), acc);
            acc.Store(dst + j);
        }
        for (; j <= width - Vector256<T>.Count; j += Vector256<T>.Count)
        {
            var acc = Vector256.Create(bias);
            for (int t = 0; t < taps; t++) acc = Fma(Vector256.Create(w[t]), Vector256.Load(src + off[t] + j), acc);
            acc.Store(dst + j);
        }
        for (; j < width; j++)
        {
            T acc = bias;
            for (int t = 0; t < taps; t++) acc = T.FusedMultiplyAdd(w[t], src[off[t] + j], acc);
            dst[j] = acc;
        }
    }

    /// <summary>
    /// gw[c, 0, a, e] = sum_{n, i, j} gy[n, c, i, j] x[n, c, i*sh - pt + a*dh, j - pl + e*dw]. Each channel is
    /// summed by one thread, over samples in order, so the result does not depend on the thread count.
    /// </summary>
    public static void WeightGrad<T>(T[] x, T[] gy, T[] gw, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var input = new ConvInput(g);
        int taps = g.KernelH * g.KernelW;
        var offsets = TapOffsets(g, input);
        void Channel(int c)
        {
            var padArray = ArrayPool<T>.Shared.Rent(Math.Max(1, input.CopySize(g)));
            var wide = new Vector512<T>[taps];
            var narrow = new Vector256<T>[taps];
            var scalar = new T[taps];
            try
            {
                fixed (T* px = x, pg = gy, pad = padArray)
                fixed (nint* off = offsets)
                {
                    for (int n = 0; n < g.Batch; n++)
                    {
                        nint p = (nint)n * g.OutChannels + c;
                        T* src = input.Source(px + p * g.InPlane, pad, g);
                        for (int t = 0; t < taps; t++)
                            for (int i = 0; i < g.OutH; i++)
                                Dot(pg + p * g.OutPlane + (nint)i * g.OutW, src + i * g.StrideH * input.Row + off[t], g.OutW,
                                    ref wide[t], ref narrow[t], ref scalar[t]);
                    }
                }
                for (int t = 0; t < taps; t++)
                    gw[c * taps + t] = Vector512.Sum(wide[t]) + Vector256.Sum(narrow[t]) + scalar[t];
            }
            finally
            {
                ArrayPool<T>.Shared.Return(padArray);
            }
        }
        Parallelism.For(0, g.OutChannels, Channel, g.MacsPerSample * g.Batch >= ConvGemm.ParallelMacs);
    }

    // Adds a[j] b[j] for j < width to the accumulators: whole Vector512s, then Vector256s, then scalars.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot<T>(T* a, T* b, int width, ref Vector512<T> wide, ref Vector256<T> narrow, ref T scalar) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        var acc = wide;
        for (; j <= width - Vector512<T>.Count; j += Vector512<T>.Count) acc = Fma(Vector512.Load(a + j), Vector512.Load(b + j), acc);
        wide = acc;
        for (; j <= width - Vector256<T>.Count; j += Vector256<T>.Count) narrow = Fma(Vector256.Load(a + j), Vector256.Load(b + j), narrow);
        for (; j < width; j++) scalar = T.FusedMultiplyAdd(a[j], b[j], scalar);
    }

    // The offset of tap (a, e) from the read of output column 0 of a row: a*dh rows and e*dw columns.
    private static nint[] TapOffsets(Conv2dGeometry g, ConvInput input)
    {
        var off = new nint[g.KernelH * g.KernelW];
        for (int a = 0, t = 0; a < g.KernelH; a++)
            for (int e = 0; e < g.KernelW; e++) off[t++] = a * g.DilationH * input.Row + e * g.DilationW;
        return off;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();
}
