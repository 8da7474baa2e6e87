using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = x * x, elementwise.</summary>
    public static Var Square(Var x) => Record("square", Elementwise.Unary<SquareKernel>(x.Value), SquarePullback, "", x);

    // gx = 2 g x
    private static readonly Pullback SquarePullback = (g, xs, _) => [Multiply(g, xs[0]) * 2.0];
}
