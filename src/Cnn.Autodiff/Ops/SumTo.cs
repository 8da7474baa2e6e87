using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// x summed down to <paramref name="shape"/>, the adjoint of <see cref="BroadcastTo"/>: dimensions
    /// that broadcasting would add or expand from 1 are summed over (the identity when the shapes agree).
    /// </summary>
    public static Var SumTo(Var x, Shape shape)
    {
        if (x.Shape == shape) return x;
        if (!Broadcast.CanExpand(shape, x.Shape))
            throw new ArgumentException($"SumTo cannot reduce {x.Shape} to {shape}: {shape} must broadcast to {x.Shape}.");
        return Record("sum_to", Elementwise.SumTo(x.Value, shape), SumToPullback, $"shape={shape}", x);
    }

    private static readonly Pullback SumToPullback = (g, xs, _) => [BroadcastTo(g, xs[0].Shape)];
}
