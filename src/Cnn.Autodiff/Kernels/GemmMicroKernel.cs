using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static Cnn.Autodiff.Kernels.Simd;

namespace Cnn.Autodiff.Kernels;

/// <summary>
/// A register-blocked GEMM micro-kernel: C[Mr, Nr] (+)= Ap Bp over kc steps, where Ap holds Mr rows of A
/// packed column by column ([kc, Mr]) and Bp holds Nr columns of B packed row by row ([kc, Nr]).
/// Each element of C is one chain of fused multiply-adds in increasing k, whatever the vector width.
/// </summary>
internal unsafe interface IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows of the C tile (elements of A broadcast per k step).</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of the C tile (two vectors of B per k step).</summary>
    static abstract int Nr { get; }

    /// <summary>
    /// The Mr x Nr tile at <paramref name="c"/> (row stride <paramref name="ldc"/>) is set to, or when
    /// <paramref name="add"/> incremented by, the product of the packed slivers.
    /// </summary>
    static abstract void Run(int kc, T* a, T* b, T* c, nint ldc, bool add);
}

/// <summary>
/// The AVX-512 micro-kernel: 8 rows by 2 Vector512 columns, 16 accumulators in registers (8 rows fit
/// channel counts, which are usually multiples of 8, with no wasted rows).
/// </summary>
internal readonly unsafe struct GemmKernel512<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Mr => 8;
    public static int Nr => 2 * Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool add)
    {
        nint w = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default,
            c60 = default, c61 = default, c70 = default, c71 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            Vector512<T> ai;
            ai = Vector512.Create(a[0]); c00 = Fma(ai, b0, c00); c01 = Fma(ai, b1, c01);
            ai = Vector512.Create(a[1]); c10 = Fma(ai, b0, c10); c11 = Fma(ai, b1, c11);
            ai = Vector512.Create(a[2]); c20 = Fma(ai, b0, c20); c21 = Fma(ai, b1, c21);
            ai = Vector512.Create(a[3]); c30 = Fma(ai, b0, c30); c31 = Fma(ai, b1, c31);
            ai = Vector512.Create(a[4]); c40 = Fma(ai, b0, c40); c41 = Fma(ai, b1, c41);
            ai = Vector512.Create(a[5]); c50 = Fma(ai, b0, c50); c51 = Fma(ai, b1, c51);
            ai = Vector512.Create(a[6]); c60 = Fma(ai, b0, c60); c61 = Fma(ai, b1, c61);
            ai = Vector512.Create(a[7]); c70 = Fma(ai, b0, c70); c71 = Fma(ai, b1, c71);
            a += 8;
            b += 2 * w;
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add); c += ldc;
        Store(c, c60, c61, add); c += ldc;
        Store(c, c70, c71, add);
    }

    /// <summary>Stores v0, v1 at c, c + Vector512.Count, or adds them there when <paramref name="add"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Store(T* c, Vector512<T> v0, Vector512<T> v1, bool add)
    {
        T* c1 = c + Vector512<T>.Count;
        if (add)
        {
            v0 = Vector512.Load(c) + v0;
            v1 = Vector512.Load(c1) + v1;
        }
        v0.Store(c);
        v1.Store(c1);
    }
}

/// <summary>The 256-bit micro-kernel: 6 rows by 2 Vector256 columns, 12 accumulators (fits 16 registers).</summary>
internal readonly unsafe struct GemmKernel256<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int Mr => 6;
    public static int Nr => 2 * Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, nint ldc, bool add)
    {
        nint w = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default,
            c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            Vector256<T> ai;
            ai = Vector256.Create(a[0]); c00 = Fma(ai, b0, c00); c01 = Fma(ai, b1, c01);
            ai = Vector256.Create(a[1]); c10 = Fma(ai, b0, c10); c11 = Fma(ai, b1, c11);
            ai = Vector256.Create(a[2]); c20 = Fma(ai, b0, c20); c21 = Fma(ai, b1, c21);
            ai = Vector256.Create(a[3]); c30 = Fma(ai, b0, c30); c31 = Fma(ai, b1, c31);
            ai = Vector256.Create(a[4]); c40 = Fma(ai, b0, c40); c41 = Fma(ai, b1, c41);
            ai = Vector256.Create(a[5]); c50 = Fma(ai, b0, c50); c51 = Fma(ai, b1, c51);
            a += 6;
            b += 2 * w;
        }
        Store(c, c00, c01, add); c += ldc;
        Store(c, c10, c11, add); c += ldc;
        Store(c, c20, c21, add); c += ldc;
        Store(c, c30, c31, add); c += ldc;
        Store(c, c40, c41, add); c += ldc;
        Store(c, c50, c51, add);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector256<T> v0, Vector256<T> v1, bool add)
    {
        T* c1 = c + Vector256<T>.Count;
        if (add)
        {
            v0 = Vector256.Load(c) + v0;
            v1 = Vector256.Load(c1) + v1;
        }
        v0.Store(c);
        v1.Store(c1);
    }
}
