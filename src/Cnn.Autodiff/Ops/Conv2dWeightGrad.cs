using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The gradient of <see cref="Conv2d(Var, Var, Var?, Conv2dOptions)"/> with respect to its weight, for
    /// input <paramref name="x"/> and output cotangent <paramref name="g"/> (a correlation of the two):
    /// gw[k, c, a, e] = sum_{n, i, j} g[n, k, i, j] x[n, G*Cg + c, i*sh - pt + a*dh, j*sw - pl + e*dw].
    /// </summary>
    /// <param name="x">[N, C, H, W]</param>
    /// <param name="g">[N, K, Ho, Wo], with Ho and Wo at most the convolution's output size for a kh x kw kernel.</param>
    /// <returns>[K, C/groups, kh, kw]</returns>
    public static Var Conv2dWeightGrad(Var x, Var g, Conv2dOptions o, int kh, int kw)
    {
        const string op = "Conv2dWeightGrad";
        o.Validate(op);
        RequireRank4(op, "input", "[N, C, H, W]", x.Shape);
        RequireRank4(op, "output gradient", "[N, K, Ho, Wo]", g.Shape);
        Tensor.RequireSameDType(op, x.Value, g.Value);
        int gr = o.Groups, c = x.Shape[1], k = g.Shape[1];
        if (kh < 1 || kw < 1)
            throw new ArgumentException($"{op} expects a kernel of at least 1x1 but got {kh}x{kw}.");
        if (g.Shape[0] != x.Shape[0])
            throw new ArgumentException($"{op} expects the input {x.Shape} and the output gradient {g.Shape} to have the same batch size.");
        if (c % gr != 0 || k % gr != 0)
            throw new ArgumentException($"{op} expects groups={gr} to divide both the input channels ({c}) of {x.Shape} and the output channels ({k}) of {g.Shape}: choose groups among the common divisors.");
        int ho = o.OutputHeight(x.Shape[2], kh), wo = o.OutputWidth(x.Shape[3], kw);
        if (g.Shape[2] < 1 || g.Shape[3] < 1 || g.Shape[2] > ho || g.Shape[3] > wo)
            throw new ArgumentException($"{op} expects an output gradient of spatial size 1x1 up to {ho}x{wo} (the output of a {kh}x{kw} convolution of {x.Shape} with {o}) but got {g.Shape}.");
        var geo = o.Geometry(x.Shape[0], c, x.Shape[2], x.Shape[3], k, kh, kw, g.Shape[2], g.Shape[3]);
        return Record("conv2d_weight_grad", Conv2dKernels.WeightGrad(x.Value, g.Value, geo), Conv2dWeightGradPullback(o), $"{o} kernel={kh}x{kw}", x, g);
    }

    // <WG(x, g), c> = <conv2d(x, c), g> = <x, conv_transpose2d(g, c)>: gx = conv_transpose2d(g, c), gg = conv2d(x, c).
    private static Pullback Conv2dWeightGradPullback(Conv2dOptions o) => (c, xs, _) =>
    {
        var (x, g) = (xs[0], xs[1]);
        return [ConvTranspose2dSized(g, c, null, o, x.Shape[2], x.Shape[3]), Conv2dSized(x, c, null, o, g.Shape[2], g.Shape[3])];
    };
}
