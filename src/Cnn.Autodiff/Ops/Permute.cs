using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The axes of x reordered: output axis k is input axis <c>dims[k]</c> (negative axes count from the end),
    /// as torch.permute. <paramref name="dims"/> must be a permutation of the axes.
    /// </summary>
    public static Var Permute(Var x, params int[] dims)
    {
        var p = NormalizePermutation(x.Shape, dims);
        bool identity = true;
        for (int k = 0; k < p.Length; k++) identity &= p[k] == k;
        if (identity) return x;
        var outDims = new int[p.Length];
        for (int k = 0; k < p.Length; k++) outDims[k] = x.Shape.Dims[p[k]];
        var y = x.DType == DType.Float32
            ? Tensor.Own(ShapeKernels.Permute(x.Value.Span<float>(), x.Shape, p), outDims)
            : Tensor.Own(ShapeKernels.Permute(x.Value.Span<double>(), x.Shape, p), outDims);
        return Record("permute", y, PermutePullback(p), $"dims=[{string.Join(", ", p)}]", x);
    }

    // gx = permute(g, p^-1)
    private static Pullback PermutePullback(int[] p)
    {
        var inverse = new int[p.Length];
        for (int k = 0; k < p.Length; k++) inverse[p[k]] = k;
        return (g, _, _) => [Permute(g, inverse)];
    }

    private static int[] NormalizePermutation(Shape shape, int[] dims)
    {
        if (dims.Length != shape.Rank)
            throw new ArgumentException($"Permute expects {shape.Rank} dims for a tensor of shape {shape} but got [{string.Join(", ", dims)}]: list every axis once.", nameof(dims));
        var p = new int[dims.Length];
        var seen = new bool[dims.Length];
        for (int k = 0; k < dims.Length; k++)
        {
            int a = dims[k] < 0 ? dims[k] + shape.Rank : dims[k];
            if (a < 0 || a >= shape.Rank || seen[a])
                throw new ArgumentException($"Permute expects a permutation of the axes 0..{shape.Rank - 1} of {shape} but got [{string.Join(", ", dims)}]: each axis must appear exactly once.", nameof(dims));
            seen[a] = true;
            p[k] = a;
        }
        return p;
    }
}
