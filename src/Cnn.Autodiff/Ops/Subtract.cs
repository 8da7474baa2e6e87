using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = a - b, with NumPy broadcasting.</summary>
    public static Var Subtract(Var a, Var b) =>
        Record("sub", Elementwise.Binary<SubtractKernel>("Subtract", a.Value, b.Value), SubtractPullback, "", a, b);

    private static readonly Pullback SubtractPullback = (g, xs, _) => [SumTo(g, xs[0].Shape), SumTo(Negate(g), xs[1].Shape)];
}
