using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// 2-D average pooling: y[n, c, i, j] = (sum over m, l &lt; k of x[n, c, i*stride - padding + m, j*stride - padding + l]) / divisor,
    /// with padded positions 0. The divisor is k*k when <paramref name="countIncludePad"/>, otherwise the number of
    /// window positions inside the input (PyTorch's count_include_pad). Output size floor((H + 2 padding - k) / stride) + 1.
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="kernelSize">Window size k, at least 1.</param>
    /// <param name="stride">Step between windows; the kernel size when null.</param>
    /// <param name="padding">Implicit zero border, at most k / 2.</param>
    /// <returns>[N, C, OH, OW]</returns>
    public static Var AvgPool2d(Var x, int kernelSize, int? stride = null, int padding = 0, bool countIncludePad = true) =>
        AvgPool2d(x, (kernelSize, kernelSize), stride is int s ? (s, s) : null, (padding, padding), countIncludePad);

    /// <summary>2-D average pooling with per-axis (height, width) settings; see <see cref="AvgPool2d(Var, int, int?, int, bool)"/>.</summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <returns>[N, C, OH, OW]</returns>
    /// <remarks>
    /// NOTE: there is no ceil_mode (output sizes round down, as PyTorch's default) and no divisor_override.
    /// </remarks>
    public static Var AvgPool2d(Var x, (int H, int W) kernelSize, (int H, int W)? stride = null, (int H, int W) padding = default, bool countIncludePad = true)
    {
        var geo = PoolGeometry("AvgPool2d", x.Shape, kernelSize, stride ?? kernelSize, padding, (1, 1));
        var settings = $"kernel={Pair(kernelSize)} stride={Pair((geo.StrideH, geo.StrideW))} padding={Pair(padding)} count_include_pad={(countIncludePad ? "true" : "false")}";
        var pool = new AveragePooling("avg_pool2d", settings,
            AxisWindows.Strided(geo.H, geo.KernelH, geo.StrideH, geo.PadH, countIncludePad),
            AxisWindows.Strided(geo.W, geo.KernelW, geo.StrideW, geo.PadW, countIncludePad));
        return WindowAverage(x, pool);
    }
}
