using System.Globalization;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y = x where x &gt; 0, else <paramref name="negativeSlope"/> * x, elementwise.</summary>
    /// <remarks>NOTE: the derivative at 0 is the slope, as in PyTorch.</remarks>
    public static Var LeakyRelu(Var x, double negativeSlope = 0.01)
    {
        if (!double.IsFinite(negativeSlope))
            throw new ArgumentException($"LeakyRelu expects a finite negative slope but got {negativeSlope.ToString(CultureInfo.InvariantCulture)}.", nameof(negativeSlope));
        return Record("leaky_relu", MathKernels.Unary<LeakyReluKernel>(x.Value, negativeSlope), LeakyReluPullback(negativeSlope),
            "negative_slope=" + negativeSlope.ToString("R", CultureInfo.InvariantCulture), x);
    }

    // gx = g * (x > 0 ? 1 : slope); the factor is a constant, so the second derivative is 0 as it should be.
    private static Pullback LeakyReluPullback(double slope) => (g, xs, _) =>
        [Multiply(g, MathKernels.Unary<LeakyReluSlopeKernel>(xs[0].Value, slope))];
}
