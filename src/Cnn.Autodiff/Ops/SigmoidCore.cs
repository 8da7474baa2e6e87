using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = 1 / (1 + exp(-x)), the derivative of <see cref="SoftplusCore"/>.</summary>
    internal static Var SigmoidCore(Var x) => Record("sigmoid", Elementwise.Unary<SigmoidCoreKernel>(x.Value), SigmoidCorePullback, "", x);

    // gx = g * y * (1 - y)
    private static readonly Pullback SigmoidCorePullback = (g, _, y) => [Multiply(g, Multiply(y, 1.0 - y))];
}
