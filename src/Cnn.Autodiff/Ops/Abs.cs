using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = |x|, elementwise.</summary>
    /// <remarks>NOTE: the subgradient at 0 is 0 (g * sign(x)), as in PyTorch.</remarks>
    public static Var Abs(Var x) => Record("abs", Elementwise.Unary<AbsKernel>(x.Value), AbsPullback, "", x);

    // gx = g * sign(x); the sign is a constant, so the second derivative is 0 as it should be.
    private static readonly Pullback AbsPullback = (g, xs, _) => [Multiply(g, Elementwise.Unary<SignKernel>(xs[0].Value))];
}
