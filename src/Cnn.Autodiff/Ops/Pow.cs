using System.Globalization;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y = x^p, elementwise, for a constant exponent <paramref name="p"/> (NaN where x &lt; 0 and p is not
    /// an integer, as in PyTorch).
    /// </summary>
    public static Var Pow(Var x, double p)
    {
        if (!double.IsFinite(p))
            throw new ArgumentException($"Pow expects a finite exponent but got {p.ToString(CultureInfo.InvariantCulture)}.", nameof(p));
        return Record("pow", MathKernels.Unary<PowKernel>(x.Value, p), PowPullback(p), "p=" + p.ToString("R", CultureInfo.InvariantCulture), x);
    }

    // gx = g * p * x^(p-1)
    // NOTE: for p = 0 the gradient is 0 everywhere, also at x = 0 (where 0 * 0^-1 would be NaN), as in PyTorch.
    private static Pullback PowPullback(double p) => (g, xs, _) =>
        [p == 0 ? Multiply(g, xs[0].Scalar(0)) : Multiply(g, Pow(xs[0], p - 1)) * p];
}
