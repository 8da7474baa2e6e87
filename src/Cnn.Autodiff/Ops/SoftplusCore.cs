using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = log(1 + exp(x)), computed stably as max(x, 0) + log(1 + exp(-|x|)).</summary>
    internal static Var SoftplusCore(Var x) => Record("softplus", Elementwise.Unary<SoftplusCoreKernel>(x.Value), SoftplusCorePullback, "", x);

    // gx = g * sigmoid(x)
    private static readonly Pullback SoftplusCorePullback = (g, xs, _) => [Multiply(g, SigmoidCore(xs[0]))];
}
