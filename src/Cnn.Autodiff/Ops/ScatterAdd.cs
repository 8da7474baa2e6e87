using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y[j] = sum of x[i] over every i with map.Source[i] == j (shape map.From): the adjoint of
    /// <see cref="Gather"/>, and the gradient of <see cref="Pad"/>.
    /// </summary>
    internal static Var ScatterAdd(Var x, IndexMap map)
    {
        if (x.Shape != map.To)
            throw new ArgumentException($"scatter_add expects an input of shape {map.To} but got {x.Shape}.", nameof(x));
        var y = x.DType == DType.Float32
            ? Tensor.Own(ShapeKernels.ScatterAdd(x.Value.Span<float>(), map), map.From)
            : Tensor.Own(ShapeKernels.ScatterAdd(x.Value.Span<double>(), map), map.From);
        return Record("scatter_add", y, ScatterAddPullback(map), $"shape={map.From}", x);
    }

    // gx = gather of g along the same map, with 0 where the map reads the constant
    private static Pullback ScatterAddPullback(IndexMap map) => (g, _, _) => [Gather(g, map, 0)];
}
