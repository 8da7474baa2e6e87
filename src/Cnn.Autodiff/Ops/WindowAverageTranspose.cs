using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The transpose of <see cref="WindowAverage"/>: each output cotangent g[n, c, i, j], divided by its
    /// window's divisor, is added to every input position of the window. Its pullback is
    /// <see cref="WindowAverage"/> again, so average pooling is differentiable to any order.
    /// </summary>
    /// <param name="g">[N, C, pool.Rows.Count, pool.Cols.Count]</param>
    /// <returns>[N, C, pool.Rows.Size, pool.Cols.Size]</returns>
    internal static Var WindowAverageTranspose(Var g, AveragePooling pool)
    {
        Shape shape = [g.Shape[0], g.Shape[1], pool.Rows.Size, pool.Cols.Size];
        var gx = g.DType == DType.Float32 ? WindowAverageTransposeForward<float>(g.Value, shape, pool) : WindowAverageTransposeForward<double>(g.Value, shape, pool);
        return Record(pool.Name + "_backward", gx, (gg, _, _) => [WindowAverage(gg, pool)], pool.Settings, g);
    }

    private static Tensor WindowAverageTransposeForward<T>(Tensor g, Shape shape, AveragePooling pool) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = Buffers.Zeroed<T>(shape.Size);
        PoolKernels.WindowAverageTranspose(g.Array<T>(), gx, shape[0] * shape[1], pool.Rows, pool.Cols);
        return Tensor.Own(gx, shape);
    }
}
