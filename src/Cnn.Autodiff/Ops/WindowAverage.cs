using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

/// <summary>
/// A linear average pooling as data: the separable windows and divisors per axis, and the name and
/// settings shown on the tape. Average pooling and adaptive average pooling both build one.
/// </summary>
internal sealed record AveragePooling(string Name, string Settings, AxisWindows Rows, AxisWindows Cols);

public static partial class Op
{
    /// <summary>
    /// y[n, c, i, j] = (sum of x[n, c, r, s] over the window rows of i and columns of j) / (divisor of i * divisor of j).
    /// Linear in x; its pullback is <see cref="WindowAverageTranspose"/> with the same windows.
    /// </summary>
    /// <param name="x">[N, C, pool.Rows.Size, pool.Cols.Size]</param>
    /// <returns>[N, C, pool.Rows.Count, pool.Cols.Count]</returns>
    internal static Var WindowAverage(Var x, AveragePooling pool)
    {
        Shape shape = [x.Shape[0], x.Shape[1], pool.Rows.Count, pool.Cols.Count];
        var y = x.DType == DType.Float32 ? WindowAverageForward<float>(x.Value, shape, pool) : WindowAverageForward<double>(x.Value, shape, pool);
        return Record(pool.Name, y, (g, _, _) => [WindowAverageTranspose(g, pool)], pool.Settings, x);
    }

    private static Tensor WindowAverageForward<T>(Tensor x, Shape shape, AveragePooling pool) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Zeroed<T>(shape.Size);
        PoolKernels.WindowAverage(x.Array<T>(), y, shape[0] * shape[1], pool.Rows, pool.Cols);
        return Tensor.Own(y, shape);
    }
}
