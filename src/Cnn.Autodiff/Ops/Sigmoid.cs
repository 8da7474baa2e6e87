using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = 1 / (1 + exp(-x)), elementwise; exactly 0 or 1 (never NaN) where exp overflows.</summary>
    public static Var Sigmoid(Var x) => Record("sigmoid", Elementwise.Unary<SigmoidKernel>(x.Value), SigmoidPullback, "", x);

    // gx = g * y * (1 - y)
    private static readonly Pullback SigmoidPullback = (g, _, y) => [Multiply(Multiply(g, y), 1.0 - y)];
}
