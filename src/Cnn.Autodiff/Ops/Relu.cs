using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = max(x, 0).</summary>
    /// <remarks>NOTE: the subgradient at 0 is 0, as in PyTorch.</remarks>
    public static Var Relu(Var x) => Record("relu", Elementwise.Unary<ReluKernel>(x.Value), ReluPullback, "", x);

    // gx = g * [x > 0]; the mask is a constant, so the second derivative is 0 as it should be.
    private static readonly Pullback ReluPullback = (g, xs, _) =>
        [Multiply(g, Elementwise.Unary<PositiveMaskKernel>(xs[0].Value))];
}
