using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = a + b, with NumPy broadcasting.</summary>
    /// <remarks>The pullback hands the cotangent unchanged to both inputs (summed over broadcast
    /// dimensions): a residual connection passes its gradient straight through.</remarks>
    public static Var Add(Var a, Var b) =>
        Record("add", Elementwise.Binary<AddKernel>("Add", a.Value, b.Value), AddPullback, "", a, b);

    private static readonly Pullback AddPullback = (g, xs, _) => [SumTo(g, xs[0].Shape), SumTo(g, xs[1].Shape)];
}
