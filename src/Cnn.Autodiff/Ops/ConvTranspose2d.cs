using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// 2-D transposed convolution (as torch.nn.functional.conv_transpose2d), the adjoint in its input of
    /// <see cref="Conv2d(Var, Var, Var?, Conv2dOptions)"/> with the same weight and settings:
    /// y[n, G*Cg + c, p, q] = b[G*Cg + c] + sum over k in group G and (i, j, a, e) with i*s - pad + a*d = p,
    /// j*s - pad + e*d = q of x[n, k, i, j] w[k, c, a, e].
    /// </summary>
    /// <param name="x">[N, Cin, H, W]</param>
    /// <param name="w">[Cin, Cout/groups, kh, kw]</param>
    /// <param name="b">[Cout], or null for no bias.</param>
    /// <param name="outputPadding">Extra rows / columns at the bottom / right; must be smaller than the stride or the dilation.</param>
    /// <returns>[N, Cout, (H-1)s - 2pad + d(kh-1) + outputPadding + 1, (W-1)s - 2pad + d(kw-1) + outputPadding + 1]</returns>
    public static Var ConvTranspose2d(Var x, Var w, Var? b = null, int stride = 1, int padding = 0, int outputPadding = 0, int dilation = 1, int groups = 1) =>
        ConvTranspose2d(x, w, b, Conv2dOptions.Create(stride, padding, dilation, groups), outputPadding, outputPadding);

    /// <summary>
    /// 2-D transposed convolution with per-axis stride, dilation and output padding and per-side padding
    /// (the padding of the convolution it is the adjoint of, removed from the output).
    /// </summary>
    /// <param name="x">[N, Cin, H, W]</param>
    /// <param name="w">[Cin, Cout/groups, kh, kw]</param>
    /// <param name="b">[Cout], or null for no bias.</param>
    /// <returns>[N, Cout, Hout, Wout] with sizes from <see cref="Conv2dOptions.TransposeOutputSize"/>.</returns>
    public static Var ConvTranspose2d(Var x, Var w, Var? b, Conv2dOptions options, int outputPaddingH = 0, int outputPaddingW = 0)
    {
        const string op = "ConvTranspose2d";
        options.Validate(op);
        RequireRank4(op, "input", "[N, Cin, H, W]", x.Shape);
        RequireRank4(op, "weight", "[Cin, Cout/groups, kh, kw]", w.Shape);
        Tensor.RequireSameDType(op, x.Value, w.Value);
        int g = options.Groups, cin = x.Shape[1], kh = w.Shape[2], kw = w.Shape[3];
        if (w.Shape[0] != cin)
            throw new ArgumentException($"{op} expects input [N, {w.Shape[0]}, H, W] for weight {w.Shape} but got input {x.Shape}: the weight [Cin, Cout/groups, kh, kw] was built for {w.Shape[0]} input channels; build it as [{cin}, Cout/groups, {kh}, {kw}] or feed {w.Shape[0]} channels.");
        if (cin % g != 0)
            throw new ArgumentException($"{op} expects groups={g} to divide the input channels ({cin}) of input {x.Shape}: choose groups among the divisors of {cin}.");
        int cout = w.Shape[1] * g;
        RequireBias(op, b, x.Value, cout);
        if (outputPaddingH < 0 || outputPaddingW < 0
            || (outputPaddingH >= options.StrideH && outputPaddingH >= options.DilationH)
            || (outputPaddingW >= options.StrideW && outputPaddingW >= options.DilationW))
            throw new ArgumentException($"{op} expects a non-negative output padding smaller than the stride or the dilation but got output padding {outputPaddingH}x{outputPaddingW} with stride {options.StrideH}x{options.StrideW} and dilation {options.DilationH}x{options.DilationW}: output padding only picks among the input sizes that a strided convolution maps to the same output size.");
        int ho = Conv2dOptions.TransposeOutputSize(x.Shape[2], kh, options.StrideH, options.PadTop, options.PadBottom, options.DilationH, outputPaddingH);
        int wo = Conv2dOptions.TransposeOutputSize(x.Shape[3], kw, options.StrideW, options.PadLeft, options.PadRight, options.DilationW, outputPaddingW);
        if (ho < 1 || wo < 1)
            throw new ArgumentException($"{op} would produce an empty output {ho}x{wo} from input {x.Shape} with kernel {kh}x{kw} and {options}: the padding removes more than the transposed convolution produces; reduce the padding.");
        return ConvTranspose2dSized(x, w, b, options, ho, wo);
    }

    /// <summary>
    /// The transposed-convolution primitive with its output size given (the convolution's input size, which
    /// the output size formula cannot recover when the stride does not divide evenly). Arguments are checked by the callers.
    /// </summary>
    internal static Var ConvTranspose2dSized(Var x, Var w, Var? b, Conv2dOptions o, int outH, int outW)
    {
        var geo = o.Geometry(x.Shape[0], w.Shape[1] * o.Groups, outH, outW, w.Shape[0], w.Shape[2], w.Shape[3], x.Shape[2], x.Shape[3]);
        var y = Conv2dKernels.Transpose(x.Value, w.Value, b?.Value, geo);
        var settings = $"{o} out={outH}x{outW}";
        return b is null
            ? Record("conv_transpose2d", y, ConvTranspose2dPullback(o), settings, x, w)
            : Record("conv_transpose2d", y, ConvTranspose2dPullback(o), settings, x, w, b);
    }

    // The roles of conv2d swapped: gx = conv2d(g, w) cut to x's size, gw = conv2d_weight_grad(g, x), gb = sum of g over N, H, W.
    private static Pullback ConvTranspose2dPullback(Conv2dOptions o) => (g, xs, _) =>
    {
        var (x, w) = (xs[0], xs[1]);
        var gx = Conv2dSized(g, w, null, o, x.Shape[2], x.Shape[3]);
        var gw = Conv2dWeightGrad(g, x, o, w.Shape[2], w.Shape[3]);
        return xs.Count == 2 ? [gx, gw] : [gx, gw, Sum(g, [0, 2, 3])];
    };
}
