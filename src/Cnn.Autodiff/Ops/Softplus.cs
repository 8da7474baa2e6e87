using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = log(1 + exp(x)), computed stably as max(x, 0) + log(1 + exp(-|x|)).</summary>
    public static Var Softplus(Var x) => Record("softplus", Elementwise.Unary<SoftplusKernel>(x.Value), SoftplusPullback, "", x);

    // gx = g * sigmoid(x)
    private static readonly Pullback SoftplusPullback = (g, xs, _) => [Multiply(g, Sigmoid(xs[0]))];
}
