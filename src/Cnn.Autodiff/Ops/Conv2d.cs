using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// 2-D convolution (cross-correlation, as torch.nn.functional.conv2d):
    /// y[n, k, i, j] = b[k] + sum_{c, a, e} x[n, G*Cg + c, i*s - p + a*d, j*s - p + e*d] w[k, c, a, e],
    /// with G = k / (K/groups) the group of output channel k, Cg = C/groups and zero padding p on every side.
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="w">[K, C/groups, kh, kw]</param>
    /// <param name="b">[K], or null for no bias.</param>
    /// <returns>[N, K, floor((H + 2p - d(kh-1) - 1)/s) + 1, floor((W + 2p - d(kw-1) - 1)/s) + 1]</returns>
    public static Var Conv2d(Var x, Var w, Var? b = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, w, b, Conv2dOptions.Create(stride, padding, dilation, groups));

    /// <summary>
    /// 2-D convolution with padding given by name, as PyTorch: "valid" (none) or "same" (keeps H and W;
    /// stride 1 only; an odd total padding puts the extra zero at the bottom / right).
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="w">[K, C/groups, kh, kw]</param>
    /// <param name="b">[K], or null for no bias.</param>
    public static Var Conv2d(Var x, Var w, Var? b, string padding, int stride = 1, int dilation = 1, int groups = 1)
    {
        RequireRank4("Conv2d", "weight", "[K, C/groups, kh, kw]", w.Shape);
        var o = padding.ToLowerInvariant() switch
        {
            "same" => Conv2dOptions.Same(w.Shape[2], w.Shape[3], stride, dilation, groups),
            "valid" => Conv2dOptions.Valid(stride, dilation, groups),
            _ => throw new ArgumentException($"Conv2d expects padding \"same\" or \"valid\" but got \"{padding}\"; for explicit sizes pass an int or Conv2dOptions."),
        };
        return Conv2d(x, w, b, o);
    }

    /// <summary>
    /// 2-D convolution with per-axis stride and dilation and per-side padding:
    /// y[n, k, i, j] = b[k] + sum_{c, a, e} x[n, G*Cg + c, i*sh - pt + a*dh, j*sw - pl + e*dw] w[k, c, a, e].
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="w">[K, C/groups, kh, kw]</param>
    /// <param name="b">[K], or null for no bias.</param>
    /// <returns>[N, K, Ho, Wo] with sizes from <see cref="Conv2dOptions.OutputSize"/>.</returns>
    public static Var Conv2d(Var x, Var w, Var? b, Conv2dOptions options)
    {
        const string op = "Conv2d";
        options.Validate(op);
        RequireRank4(op, "input", "[N, C, H, W]", x.Shape);
        RequireRank4(op, "weight", "[K, C/groups, kh, kw]", w.Shape);
        Tensor.RequireSameDType(op, x.Value, w.Value);
        int g = options.Groups, c = x.Shape[1], k = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        if (c % g != 0 || k % g != 0)
            throw new ArgumentException($"{op} expects groups={g} to divide both the input channels ({c}) and the output channels ({k}) of input {x.Shape} and weight {w.Shape}: choose groups among the common divisors.");
        if (w.Shape[1] * g != c)
            throw new ArgumentException($"{op} expects input [N, {w.Shape[1] * g}, H, W] for weight {w.Shape} with groups={g}, but got input {x.Shape}: the weight was built for {w.Shape[1] * g} input channels; build the weight as [{k}, {c / g}, {kh}, {kw}] or feed {w.Shape[1] * g} channels.");
        RequireBias(op, b, x.Value, k);
        int ho = options.OutputHeight(x.Shape[2], kh), wo = options.OutputWidth(x.Shape[3], kw);
        if (ho < 1 || wo < 1)
            throw new ArgumentException($"{op} kernel {kh}x{kw} (dilation {options.DilationH}x{options.DilationW}, spanning {options.DilationH * (kh - 1) + 1}x{options.DilationW * (kw - 1) + 1}) is larger than the padded input {x.Shape[2] + options.PadTop + options.PadBottom}x{x.Shape[3] + options.PadLeft + options.PadRight} of input {x.Shape}: pad more, use a smaller kernel or dilation, or feed larger images.");
        return Conv2dSized(x, w, b, options, ho, wo);
    }

    /// <summary>
    /// The convolution primitive with its output size given: outH / outW may be smaller than the formula
    /// (the transposed convolution's pullback needs exactly the size of its input). Arguments are checked by the callers.
    /// </summary>
    internal static Var Conv2dSized(Var x, Var w, Var? b, Conv2dOptions o, int outH, int outW)
    {
        var geo = o.Geometry(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3], outH, outW);
        var y = Conv2dKernels.Forward(x.Value, w.Value, b?.Value, geo);
        var settings = $"{o} out={outH}x{outW}";
        return b is null
            ? Record("conv2d", y, Conv2dPullback(o, x.IsRecorded, w.IsRecorded), settings, x, w)
            : Record("conv2d", y, Conv2dPullback(o, x.IsRecorded, w.IsRecorded), settings, x, w, b);
    }

    // gx = conv_transpose2d(g, w) back to x's size, gw = conv2d_weight_grad(x, g), gb = sum of g over N, H, W.
    // NOTE: an input that was a constant when recorded (a first layer's images, a frozen weight) gets no
    // cotangent, so its convolution is skipped.
    private static Pullback Conv2dPullback(Conv2dOptions o, bool inputGradient, bool weightGradient) => (g, xs, _) =>
    {
        var (x, w) = (xs[0], xs[1]);
        var gx = inputGradient ? ConvTranspose2dSized(g, w, null, o, x.Shape[2], x.Shape[3]) : null;
        var gw = weightGradient ? Conv2dWeightGrad(x, g, o, w.Shape[2], w.Shape[3]) : null;
        return xs.Count == 2 ? [gx, gw] : [gx, gw, Sum(g, [0, 2, 3])];
    };

    private static void RequireBias(string op, Var? b, Tensor x, int channels)
    {
        if (b is null) return;
        Tensor.RequireSameDType(op, x, b.Value);
        if (b.Shape.Rank != 1 || b.Shape[0] != channels)
            throw new ArgumentException($"{op} expects bias [{channels}] (one per output channel) but got {b.Shape}.");
    }
}
