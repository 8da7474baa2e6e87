using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The pullback of max pooling: gx[n, c, index[n, c, o]] += g[n, c, o], a scatter-add into zeros of
    /// <paramref name="inputShape"/> that accumulates where overlapping windows chose the same position.
    /// Its own pullback is <see cref="MaxPool2dGather"/> with the same indices.
    /// </summary>
    /// <param name="g">[N, C, OH, OW]</param>
    /// <param name="index">Flat position within the [H, W] plane of each output's arg-max (-1: none).</param>
    /// <param name="inputShape">[N, C, H, W]</param>
    internal static Var MaxPool2dBackward(Var g, int[] index, Shape inputShape)
    {
        int planes = inputShape[0] * inputShape[1], inPlane = inputShape[2] * inputShape[3], outPlane = g.Shape[2] * g.Shape[3];
        var gx = g.DType == DType.Float32
            ? ScatterForward<float>(g.Value, index, inputShape, planes, inPlane, outPlane)
            : ScatterForward<double>(g.Value, index, inputShape, planes, inPlane, outPlane);
        return Record("max_pool2d_backward", gx, (gg, xs, _) => [MaxPool2dGather(gg, index, xs[0].Shape)], "", g);
    }

    private static Tensor ScatterForward<T>(Tensor g, int[] index, Shape inputShape, int planes, int inPlane, int outPlane) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gx = Buffers.Zeroed<T>(inputShape.Size);
        PoolKernels.ScatterAdd(g.Array<T>(), index, gx, planes, inPlane, outPlane);
        return Tensor.Own(gx, inputShape);
    }
}
