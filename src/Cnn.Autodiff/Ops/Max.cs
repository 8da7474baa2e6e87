using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The maximum over <paramref name="axes"/> (all axes when null or empty), keeping reduced axes as size 1
    /// when <paramref name="keepDims"/>, as torch.amax. NaN propagates. Reduced axes must be non-empty.
    /// </summary>
    /// <remarks>NOTE: where several elements tie for the maximum, the cotangent is split evenly among them, as torch.amax.</remarks>
    public static Var Max(Var x, int[]? axes = null, bool keepDims = false)
    {
        var kept = ReducedShape("Max", x.Shape, axes, keepDims: true);
        for (int i = 0; i < kept.Rank; i++)
            if (x.Shape.Dims[i] == 0 && kept.Dims[i] == 1)
                throw new ArgumentException($"Max over axis {i} of {x.Shape} is undefined: the axis is empty. Reduce over non-empty axes only.");
        var y = x.DType == DType.Float32
            ? Tensor.Own(ReduceKernels.MaxTo(x.Value.Span<float>(), x.Shape, kept), kept)
            : Tensor.Own(ReduceKernels.MaxTo(x.Value.Span<double>(), x.Shape, kept), kept);
        if (!keepDims) y = y.Reshape(ReducedShape("Max", x.Shape, axes, keepDims: false));
        return Record("max", y, MaxPullback(kept), $"axes={AxesText(axes)} keepdims={keepDims}", x);
    }

    // gx = broadcast(g) * w, w = [x == max] / (number of maxima): a constant, so the second derivative is 0 as it should be.
    private static Pullback MaxPullback(Shape kept) => (g, xs, y) =>
    {
        var x = xs[0].Value;
        var m = y.Value.Reshape(kept);
        var w = x.DType == DType.Float32
            ? Tensor.Own(ReduceKernels.MaxWeights(x.Span<float>(), x.Shape, m.Span<float>(), kept), x.Shape)
            : Tensor.Own(ReduceKernels.MaxWeights(x.Span<double>(), x.Shape, m.Span<double>(), kept), x.Shape);
        return [Multiply(BroadcastTo(Reshape(g, kept.ToArray()), x.Shape), w)];
    };

    private static string AxesText(int[]? axes) => axes is null || axes.Length == 0 ? "all" : "[" + string.Join(", ", axes) + "]";
}
