using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// 2-D max pooling: y[n, c, i, j] = max over m &lt; k, l &lt; k of x[n, c, i*stride - padding + m*dilation, j*stride - padding + l*dilation],
    /// with padded positions -inf (never selected). Output size floor((H + 2 padding - dilation (k - 1) - 1) / stride) + 1.
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="kernelSize">Window size k, at least 1.</param>
    /// <param name="stride">Step between windows; the kernel size when null.</param>
    /// <param name="padding">Implicit -inf border, at most k / 2.</param>
    /// <param name="dilation">Step between taps of a window.</param>
    /// <returns>[N, C, OH, OW]</returns>
    public static Var MaxPool2d(Var x, int kernelSize, int? stride = null, int padding = 0, int dilation = 1) =>
        MaxPool2d(x, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), (dilation, dilation));

    /// <summary>2-D max pooling with per-axis (height, width) settings; see <see cref="MaxPool2d(Var, int, int?, int, int)"/>.</summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <returns>[N, C, OH, OW]</returns>
    /// <remarks>
    /// NOTE: the gradient goes to the arg-max of each window only; on ties the first maximum in
    /// row-major window order wins, so exactly one input receives each output's cotangent.
    /// </remarks>
    public static Var MaxPool2d(Var x, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default, (int H, int W)? dilation = null)
    {
        var geo = PoolGeometry("MaxPool2d", x.Shape, kernelSize, stride ?? kernelSize, padding, dilation ?? (1, 1));
        var (y, index) = x.DType == DType.Float32 ? MaxPoolForward<float>(x.Value, geo) : MaxPoolForward<double>(x.Value, geo);
        var settings = $"kernel={Pair(kernelSize)} stride={Pair((geo.StrideH, geo.StrideW))} padding={Pair(padding)} dilation={Pair((geo.DilationH, geo.DilationW))}";
        // The arg-max indices are constants: the pullback routes g to them, and is linear in g.
        return Record("max_pool2d", y, (g, xs, _) => [MaxPool2dBackward(g, index, xs[0].Shape)], settings, x);
    }

    private static (Tensor Y, int[] Index) MaxPoolForward<T>(Tensor x, Pool2dGeometry geo) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = geo.Planes * geo.OutH * geo.OutW;
        var y = Buffers.Uninitialized<T>(n);
        var index = new int[n];
        PoolKernels.MaxPool(x.Array<T>(), y, index, geo);
        return (Tensor.Own(y, [x.Shape[0], x.Shape[1], geo.OutH, geo.OutW]), index);
    }
}
