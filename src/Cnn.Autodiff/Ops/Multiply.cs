using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = a * b elementwise, with NumPy broadcasting.</summary>
    public static Var Multiply(Var a, Var b) =>
        Record("mul", Elementwise.Binary<MultiplyKernel>("Multiply", a.Value, b.Value), MultiplyPullback, "", a, b);

    // d(ab) = b da + a db
    private static readonly Pullback MultiplyPullback = (g, xs, _) =>
        [SumTo(Multiply(g, xs[1]), xs[0].Shape), SumTo(Multiply(g, xs[0]), xs[1].Shape)];
}
