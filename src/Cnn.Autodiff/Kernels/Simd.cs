using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Cnn.Autodiff.Kernels;

/// <summary>Vector operations the kernels write once for both element types.</summary>
internal static class Simd
{
    /// <summary>x * y + acc with one rounding, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Fma<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();

    /// <summary>x * y + acc with one rounding, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Fma<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc) where T : unmanaged, IFloatingPointIeee754<T> =>
        typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), acc.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), acc.AsDouble()).As<double, T>();

    /// <summary>The mask of lanes [0, count) (all lanes when count is at least the lane count, none when it is 0 or less).</summary>
    public static Vector512<T> FirstLanes<T>(int count) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).As<int, T>()
            : Vector512.LessThan(Vector512<long>.Indices, Vector512.Create((long)count)).As<long, T>();

    /// <summary>The lanes of p under <paramref name="mask"/>, zeros elsewhere; memory under the other lanes is not read. Needs AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<T> MaskedLoad<T>(T* p, Vector512<T> mask) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? Avx512F.MaskLoad((float*)p, mask.AsSingle(), Vector512<float>.Zero).As<float, T>()
            : Avx512F.MaskLoad((double*)p, mask.AsDouble(), Vector512<double>.Zero).As<double, T>();

    /// <summary>Stores the lanes of v under <paramref name="mask"/> to p; memory under the other lanes is not touched. Needs AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void MaskedStore<T>(T* p, Vector512<T> mask, Vector512<T> v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) Avx512F.MaskStore((float*)p, mask.AsSingle(), v.AsSingle());
        else Avx512F.MaskStore((double*)p, mask.AsDouble(), v.AsDouble());
    }
}
