using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = max(x, 0).</summary>
    /// <remarks>NOTE: the subgradient at 0 is 0, as in PyTorch.</remarks>
    public static Var Relu(Var x) => Record("relu", Elementwise.Unary<ReluKernel>(x.Value), ReluPullback, "", x);

    // gx = g * [x > 0]; the mask is a constant, so the second derivative is 0 as it should be. Computing
    // plain values, one pass selects g where x > 0 (and gives 0 elsewhere even where g is not finite, as PyTorch).
    private static readonly Pullback ReluPullback = (g, xs, _) =>
        g.IsRecorded || xs[0].IsRecorded
            ? [Multiply(g, Elementwise.Unary<PositiveMaskKernel>(xs[0].Value))]
            : [new Var(Elementwise.Binary<WherePositiveKernel>("relu", g.Value, xs[0].Value))];
}
