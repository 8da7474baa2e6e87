using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y = exp(x) / sum(exp(x)) along <paramref name="axis"/> (negative counts from the end), as
    /// torch.softmax. Computed as exp(x - m) / sum(exp(x - m)) with m the maximum along the axis, a
    /// constant shift that leaves the result unchanged and keeps every exponent at most 0.
    /// </summary>
    /// <param name="x">Any shape of rank at least 1; y has the same shape.</param>
    public static Var Softmax(Var x, int axis = -1)
    {
        int a = CheckAxis("Softmax", x.Shape, axis);
        return Record("softmax", SoftmaxForward(x.Value, a, log: false), SoftmaxPullback(a), $"axis={a}", x);
    }

    // gx = y * (g - sum(g * y)) along the axis: the Jacobian diag(y) - y y^T applied to g.
    private static Pullback SoftmaxPullback(int axis) => (g, _, y) =>
        [Multiply(y, Subtract(g, Sum(Multiply(g, y), [axis], keepDims: true)))];

    /// <summary>Softmax (or log-softmax when <paramref name="log"/>) of x along normalised axis <paramref name="axis"/>.</summary>
    private static Tensor SoftmaxForward(Tensor x, int axis, bool log)
    {
        int outer = 1, inner = 1, n = x.Shape[axis];
        for (int i = 0; i < axis; i++) outer *= x.Shape[i];
        for (int i = axis + 1; i < x.Rank; i++) inner *= x.Shape[i];
        return Tensor.ByType(x.DType,
            () => { var y = Buffers.Uninitialized<float>(x.Size); SoftmaxKernels.Softmax(x.Span<float>(), y, outer, n, inner, log); return Tensor.Own(y, x.Shape); },
            () => { var y = Buffers.Uninitialized<double>(x.Size); SoftmaxKernels.Softmax(x.Span<double>(), y, outer, n, inner, log); return Tensor.Own(y, x.Shape); });
    }
}
