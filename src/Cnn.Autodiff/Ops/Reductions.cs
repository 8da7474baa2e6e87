using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>The minimum over <paramref name="axes"/>, as -Max(-x); see <see cref="Max"/> (ties split the cotangent evenly).</summary>
    public static Var Min(Var x, int[]? axes = null, bool keepDims = false) => Negate(Max(Negate(x), axes, keepDims));

    /// <summary>
    /// log(sum(exp(x))) over <paramref name="axes"/> (all axes when null or empty), computed stably as
    /// m + log(sum(exp(x - m))) with m the maximum held constant: finite for large x (e.g. 1000), and -inf
    /// (not NaN) where every element is -inf. Its gradient is softmax(x) over the reduced axes.
    /// </summary>
    public static Var LogSumExp(Var x, int[]? axes = null, bool keepDims = false)
    {
        // m is a constant; where the maximum is not finite it is replaced by 0 so that x - m stays defined.
        var m = Elementwise.Unary<FiniteOrZeroKernel>(Max(StopGradient(x), axes, keepDims: true).Value);
        var y = Log(Sum(Exp(x - m), axes, keepDims: true)) + m;
        return keepDims ? y : Reshape(y, ReducedShape("LogSumExp", x.Shape, axes, keepDims: false).ToArray());
    }
}
