using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = -x.</summary>
    public static Var Negate(Var x) => Record("neg", Elementwise.Unary<NegateKernel>(x.Value), NegatePullback, "", x);

    private static readonly Pullback NegatePullback = (g, _, _) => [Negate(g)];
}
