using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = tanh(x), elementwise.</summary>
    public static Var Tanh(Var x) => Record("tanh", Elementwise.Unary<TanhKernel>(x.Value), TanhPullback, "", x);

    // gx = g * (1 - y^2)
    private static readonly Pullback TanhPullback = (g, _, y) => [Multiply(g, 1.0 - Square(y))];
}
