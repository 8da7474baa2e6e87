using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = a / b elementwise, with NumPy broadcasting.</summary>
    public static Var Divide(Var a, Var b) =>
        Record("div", Elementwise.Binary<DivideKernel>("Divide", a.Value, b.Value), DividePullback, "", a, b);

    // d(a/b) = da / b - (a/b) db / b
    private static readonly Pullback DividePullback = (g, xs, y) =>
    {
        var gOverB = Divide(g, xs[1]);
        return [SumTo(gOverB, xs[0].Shape), SumTo(Negate(Multiply(gOverB, y)), xs[1].Shape)];
    };
}
