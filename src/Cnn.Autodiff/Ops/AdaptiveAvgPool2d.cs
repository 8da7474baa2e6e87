using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Adaptive 2-D average pooling to a fixed output size: y[n, c, i, j] is the mean of x[n, c, r, s] over
    /// floor(i H / outH) &lt;= r &lt; ceil((i + 1) H / outH) and floor(j W / outW) &lt;= s &lt; ceil((j + 1) W / outW),
    /// as PyTorch (windows may overlap when the sizes do not divide).
    /// </summary>
    /// <param name="x">[N, C, H, W] with H, W at least 1</param>
    /// <param name="outH">Output height, at least 1.</param>
    /// <param name="outW">Output width, at least 1.</param>
    /// <returns>[N, C, outH, outW]</returns>
    public static Var AdaptiveAvgPool2d(Var x, int outH, int outW)
    {
        RequireRank4("AdaptiveAvgPool2d", "input", "[N, C, H, W]", x.Shape);
        if (outH < 1 || outW < 1)
            throw new ArgumentException($"AdaptiveAvgPool2d needs an output size of at least (1, 1) but got {Pair((outH, outW))}.");
        if (x.Shape[2] < 1 || x.Shape[3] < 1)
            throw new ArgumentException($"AdaptiveAvgPool2d needs a non-empty [H, W] plane but got input {x.Shape}: every window must average at least one element.");
        var pool = new AveragePooling("adaptive_avg_pool2d", $"output={Pair((outH, outW))}",
            AxisWindows.Adaptive(x.Shape[2], outH), AxisWindows.Adaptive(x.Shape[3], outW));
        return WindowAverage(x, pool);
    }

    /// <summary>The mean over the [H, W] plane of each channel: y[n, c] = mean of x[n, c, :, :]. A composition of <see cref="Mean"/>.</summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <returns>[N, C]</returns>
    public static Var GlobalAvgPool2d(Var x)
    {
        RequireRank4("GlobalAvgPool2d", "input", "[N, C, H, W]", x.Shape);
        if (x.Shape[2] < 1 || x.Shape[3] < 1)
            throw new ArgumentException($"GlobalAvgPool2d needs a non-empty [H, W] plane but got input {x.Shape}.");
        return Mean(x, [2, 3]);
    }
}
