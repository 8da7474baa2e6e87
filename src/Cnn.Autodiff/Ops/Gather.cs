using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y[i] = x[map.Source[i]], or <paramref name="fill"/> where the source is -1: the primitive behind
    /// <see cref="Pad"/>. Recorded as <paramref name="name"/> with <paramref name="settings"/>.
    /// </summary>
    internal static Var Gather(Var x, IndexMap map, double fill, string name = "gather", string settings = "")
    {
        if (x.Shape != map.From)
            throw new ArgumentException($"{name} expects an input of shape {map.From} but got {x.Shape}.", nameof(x));
        var y = x.DType == DType.Float32
            ? Tensor.Own(ShapeKernels.Gather(x.Value.Span<float>(), map, (float)fill), map.To)
            : Tensor.Own(ShapeKernels.Gather(x.Value.Span<double>(), map, fill), map.To);
        return Record(name, y, GatherPullback(map), settings, x);
    }

    // gx = scatter-add of g along the same map (the fill is a constant and gets no cotangent)
    private static Pullback GatherPullback(IndexMap map) => (g, _, _) => [ScatterAdd(g, map)];
}
