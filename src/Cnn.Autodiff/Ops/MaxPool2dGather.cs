using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y[n, c, o] = x[n, c, index[n, c, o]] (0 where index is -1): reads each window's arg-max. It is the
    /// transpose of <see cref="MaxPool2dBackward"/> and its pullback is that scatter-add, so max pooling
    /// is differentiable to any order.
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="index">Flat position within the [H, W] plane for each output.</param>
    /// <param name="outputShape">[N, C, OH, OW]</param>
    internal static Var MaxPool2dGather(Var x, int[] index, Shape outputShape)
    {
        int planes = x.Shape[0] * x.Shape[1], inPlane = x.Shape[2] * x.Shape[3], outPlane = outputShape[2] * outputShape[3];
        var y = x.DType == DType.Float32
            ? GatherForward<float>(x.Value, index, outputShape, planes, inPlane, outPlane)
            : GatherForward<double>(x.Value, index, outputShape, planes, inPlane, outPlane);
        return Record("max_pool2d_gather", y, (g, xs, _) => [MaxPool2dBackward(g, index, xs[0].Shape)], "", x);
    }

    private static Tensor GatherForward<T>(Tensor x, int[] index, Shape outputShape, int planes, int inPlane, int outPlane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Zeroed<T>(outputShape.Size);
        PoolKernels.Gather(x.Array<T>(), index, y, planes, inPlane, outPlane);
        return Tensor.Own(y, outputShape);
    }
}
