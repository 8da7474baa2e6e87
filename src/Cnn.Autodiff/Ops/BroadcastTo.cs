using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>x expanded to <paramref name="shape"/> by NumPy broadcasting (the identity when the shapes agree).</summary>
    public static Var BroadcastTo(Var x, Shape shape)
    {
        if (x.Shape == shape) return x;
        if (!Broadcast.CanExpand(x.Shape, shape))
            throw new ArgumentException($"BroadcastTo cannot expand {x.Shape} to {shape}: aligned at the right, each dimension must equal the target or be 1.");
        return Record("broadcast_to", Elementwise.Expand(x.Value, shape), BroadcastToPullback, $"shape={shape}", x);
    }

    private static readonly Pullback BroadcastToPullback = (g, xs, _) => [SumTo(g, xs[0].Shape)];
}
