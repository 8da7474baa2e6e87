namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y = x - log(sum(exp(x))) along <paramref name="axis"/> (negative counts from the end), as
    /// torch.log_softmax: the logarithm of <see cref="Softmax"/>, computed stably as
    /// x - m - log(sum(exp(x - m))) with m the maximum along the axis, so it stays finite for inputs
    /// whose exponentials overflow.
    /// </summary>
    /// <param name="x">Any shape of rank at least 1; y has the same shape.</param>
    public static Var LogSoftmax(Var x, int axis = -1)
    {
        int a = CheckAxis("LogSoftmax", x.Shape, axis);
        return Record("log_softmax", SoftmaxForward(x.Value, a, log: true), LogSoftmaxPullback(a), $"axis={a}", x);
    }

    // gx = g - softmax(x) * sum(g) along the axis.
    private static Pullback LogSoftmaxPullback(int axis) => (g, xs, _) =>
        [Subtract(g, Multiply(Softmax(xs[0], axis), Sum(g, [axis], keepDims: true)))];
}
