using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = 1 / sqrt(x).</summary>
    public static Var Rsqrt(Var x) => Record("rsqrt", Elementwise.Unary<RsqrtKernel>(x.Value), RsqrtPullback, "", x);

    // gx = -g y^3 / 2
    private static readonly Pullback RsqrtPullback = (g, _, y) => [Multiply(g, Multiply(y, Multiply(y, y)) * -0.5)];
}
