using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = exp(x), elementwise.</summary>
    public static Var Exp(Var x) => Record("exp", Elementwise.Unary<ExpKernel>(x.Value), ExpPullback, "", x);

    // gx = g * y
    private static readonly Pullback ExpPullback = (g, _, y) => [Multiply(g, y)];
}
