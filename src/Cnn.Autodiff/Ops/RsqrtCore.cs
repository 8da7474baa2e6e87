using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = 1 / sqrt(x).</summary>
    internal static Var RsqrtCore(Var x) => Record("rsqrt", Elementwise.Unary<RsqrtCoreKernel>(x.Value), RsqrtCorePullback, "", x);

    // gx = -g y^3 / 2
    private static readonly Pullback RsqrtCorePullback = (g, _, y) => [Multiply(g, Multiply(y, Multiply(y, y)) * -0.5)];
}
