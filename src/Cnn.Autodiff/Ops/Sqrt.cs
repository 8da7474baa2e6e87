using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = sqrt(x), elementwise (NaN for x &lt; 0).</summary>
    public static Var Sqrt(Var x) => Record("sqrt", Elementwise.Unary<SqrtKernel>(x.Value), SqrtPullback, "", x);

    // gx = g / (2y)
    private static readonly Pullback SqrtPullback = (g, _, y) => [Divide(g, y) * 0.5];
}
