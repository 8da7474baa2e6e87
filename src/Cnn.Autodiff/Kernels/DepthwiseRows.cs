using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using static Cnn.Autodiff.Kernels.Simd;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// One plane of a depthwise 3x3 convolution that keeps the width (one column of zero padding on each side, unit
/// horizontal stride and dilation), read straight from the input: each input row is loaded a Vector512 at a time
/// and the columns one to the left and one to the right come from shifting adjacent vectors together (valign),
/// so no zero-padded copy of the plane is made. Rows above or below the input read a row of zeros; the last
/// vector of a row whose width is not a whole number of vectors is read and written under a mask.
/// Any vertical stride, padding and dilation. Needs AVX-512F.
/// </summary>
internal static unsafe class DepthwiseRows
{
    /// <summary>Whether <paramref name="g"/> (depthwise with unit horizontal stride) is a width-keeping 3x3 these loops serve.</summary>
    public static bool Applies(Conv2dGeometry g) =>
        Avx512F.IsSupported && g.KernelH == 3 && g.KernelW == 3 && g.DilationW == 1 && g.PadLeft == 1 && g.OutW == g.InW;

    /// <summary>Elements of the row of zeros that rows outside the input read: the width rounded up to whole vectors.</summary>
    public static int ZeroRowLength<T>(Conv2dGeometry g) where T : unmanaged => (g.InW + Vector512<T>.Count - 1) / Vector512<T>.Count * Vector512<T>.Count;

    /// <summary>
    /// y[i, j] = bias + sum_{a, e} w[a*3 + e] x[i*sh - pt + a*dh, j - 1 + e] over one plane, out-of-range x read
    /// as 0. Each kernel row a is summed over e in order (row 0 after the bias) and the three row sums are added
    /// in order: three short dependency chains instead of one of nine multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<T>(T* x, T* w, T bias, T* y, T* zero, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Vector512<T>.Count, width = g.InW, full = width / n, vecs = (width + n - 1) / n;
        var tail = Tail<T>(width);
        Vector512<T> w0 = Vector512.Create(w[0]), w1 = Vector512.Create(w[1]), w2 = Vector512.Create(w[2]),
            w3 = Vector512.Create(w[3]), w4 = Vector512.Create(w[4]), w5 = Vector512.Create(w[5]),
            w6 = Vector512.Create(w[6]), w7 = Vector512.Create(w[7]), w8 = Vector512.Create(w[8]), b = Vector512.Create(bias);
        for (int i = 0; i < g.OutH; i++, y += width)
        {
            T* r0 = InputRow(x, zero, i, 0, g), r1 = InputRow(x, zero, i, 1, g), r2 = InputRow(x, zero, i, 2, g);
            Vector512<T> p0 = default, p1 = default, p2 = default;
            Vector512<T> c0 = Load(r0, 0, full, vecs, tail), c1 = Load(r1, 0, full, vecs, tail), c2 = Load(r2, 0, full, vecs, tail);
            for (int k = 0; k < vecs; k++)
            {
                var n0 = Load(r0, k + 1, full, vecs, tail);
                var n1 = Load(r1, k + 1, full, vecs, tail);
                var n2 = Load(r2, k + 1, full, vecs, tail);
                var acc = Fma(w0, Left(p0, c0), b);
                var acc1 = w3 * Left(p1, c1);
                var acc2 = w6 * Left(p2, c2);
                acc = Fma(w1, c0, acc);
                acc1 = Fma(w4, c1, acc1);
                acc2 = Fma(w7, c2, acc2);
                acc = Fma(w2, Right(c0, n0), acc);
                acc1 = Fma(w5, Right(c1, n1), acc1);
                acc2 = Fma(w8, Right(c2, n2), acc2);
                acc = acc + acc1 + acc2;
                Store(acc, y, k, full, tail);
                p0 = c0; c0 = n0; p1 = c1; c1 = n1; p2 = c2; c2 = n2;
            }
        }
    }

    /// <summary>
    /// acc[a*3 + e] += gy[i, j] x[i*sh - pt + a*dh, j - 1 + e] over one plane (out-of-range x read as 0), per lane:
    /// lane l of acc[t] sums the output columns j = l mod Vector512 count, row after row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGrad<T>(T* x, T* gy, T* zero, Vector512<T>* acc, Conv2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = Vector512<T>.Count, width = g.InW, full = width / n, vecs = (width + n - 1) / n;
        var tail = Tail<T>(width);
        Vector512<T> a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7], a8 = acc[8];
        for (int i = 0; i < g.OutH; i++, gy += width)
        {
            T* r0 = InputRow(x, zero, i, 0, g), r1 = InputRow(x, zero, i, 1, g), r2 = InputRow(x, zero, i, 2, g);
            Vector512<T> p0 = default, p1 = default, p2 = default;
            Vector512<T> c0 = Load(r0, 0, full, vecs, tail), c1 = Load(r1, 0, full, vecs, tail), c2 = Load(r2, 0, full, vecs, tail);
            for (int k = 0; k < vecs; k++)
            {
                var v = Load(gy, k, full, vecs, tail);
                var n0 = Load(r0, k + 1, full, vecs, tail);
                var n1 = Load(r1, k + 1, full, vecs, tail);
                var n2 = Load(r2, k + 1, full, vecs, tail);
                a0 = Fma(v, Left(p0, c0), a0);
                a1 = Fma(v, c0, a1);
                a2 = Fma(v, Right(c0, n0), a2);
                a3 = Fma(v, Left(p1, c1), a3);
                a4 = Fma(v, c1, a4);
                a5 = Fma(v, Right(c1, n1), a5);
                a6 = Fma(v, Left(p2, c2), a6);
                a7 = Fma(v, c2, a7);
                a8 = Fma(v, Right(c2, n2), a8);
                p0 = c0; c0 = n0; p1 = c1; c1 = n1; p2 = c2; c2 = n2;
            }
        }
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7; acc[8] = a8;
    }

    // Input row i*sh - pt + a*dh of the plane, or the row of zeros when it lies in the padding.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static T* InputRow<T>(T* x, T* zero, int i, int a, Conv2dGeometry g) where T : unmanaged
    {
        int r = i * g.StrideH - g.PadTop + a * g.DilationH;
        return (uint)r < (uint)g.InH ? x + (nint)r * g.InW : zero;
    }

    // Vector k of a row of `width` elements: whole, the last partial one (lanes in `tail`) with zeros after
    // the row (a masked read, which touches no memory past the row), or zeros past the row.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Load<T>(T* row, int k, int full, int vecs, Vector512<T> tail) where T : unmanaged
    {
        T* at = row + k * Vector512<T>.Count;
        if (k < full) return Vector512.Load(at);
        return k < vecs ? Simd.MaskedLoad(at, tail) : Vector512<T>.Zero;
    }

    // Writes v to vector k of a row: whole, or the lanes in `tail` of the last partial one.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(Vector512<T> v, T* row, int k, int full, Vector512<T> tail) where T : unmanaged
    {
        T* at = row + k * Vector512<T>.Count;
        if (k < full) v.Store(at);
        else Simd.MaskedStore(at, tail, v);
    }

    // The lanes of the last vector of a row that lie in it: lane l with full * count + l < width.
    private static Vector512<T> Tail<T>(int width) where T : unmanaged => Simd.FirstLanes<T>(width % Vector512<T>.Count);

    // The columns one to the left of cur: [prev[last], cur[0], ..., cur[last - 1]].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Left<T>(Vector512<T> prev, Vector512<T> cur) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Avx512F.AlignRight32(cur.AsUInt32(), prev.AsUInt32(), 15).As<uint, T>()
            : Avx512F.AlignRight64(cur.AsUInt64(), prev.AsUInt64(), 7).As<ulong, T>();

    // The columns one to the right of cur: [cur[1], ..., cur[last], next[0]].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Right<T>(Vector512<T> cur, Vector512<T> next) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Avx512F.AlignRight32(next.AsUInt32(), cur.AsUInt32(), 1).As<uint, T>()
            : Avx512F.AlignRight64(next.AsUInt64(), cur.AsUInt64(), 1).As<ulong, T>();
}
