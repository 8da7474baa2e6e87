namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// x with axes <paramref name="startDim"/>..<paramref name="endDim"/> (inclusive, negative from the end)
    /// merged into one, as torch.flatten; a <see cref="Reshape"/>. The default turns [N, C, H, W] into [N, C*H*W].
    /// </summary>
    public static Var Flatten(Var x, int startDim = 1, int endDim = -1)
    {
        if (x.Rank == 0)
            throw new ArgumentException($"Flatten expects a tensor of rank at least 1 but got a scalar; use Reshape(x, 1).", nameof(x));
        int s = CheckAxis("Flatten", x.Shape, startDim), e = CheckAxis("Flatten", x.Shape, endDim);
        if (s > e)
            throw new ArgumentException($"Flatten expects startDim <= endDim but got {startDim} (axis {s}) and {endDim} (axis {e}) for {x.Shape}.");
        var dims = new int[x.Rank - (e - s)];
        int merged = 1;
        for (int k = s; k <= e; k++) merged *= x.Shape.Dims[k];
        for (int k = 0; k < s; k++) dims[k] = x.Shape.Dims[k];
        dims[s] = merged;
        for (int k = e + 1; k < x.Rank; k++) dims[k - (e - s)] = x.Shape.Dims[k];
        return Reshape(x, dims);
    }
}
