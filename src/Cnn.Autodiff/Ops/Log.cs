using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = ln(x), elementwise (NaN for x &lt; 0 and -inf at 0, as in PyTorch).</summary>
    public static Var Log(Var x) => Record("log", Elementwise.Unary<LogKernel>(x.Value), LogPullback, "", x);

    // gx = g / x
    private static readonly Pullback LogPullback = (g, xs, _) => [Divide(g, xs[0])];
}
