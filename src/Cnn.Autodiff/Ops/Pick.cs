using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>y[n] = x[n, indices[n]]: one element per row, as x.gather(1, indices[:, None]).squeeze(1).</summary>
    /// <param name="x">[N, C]</param>
    /// <param name="indices">N column indices, each in [0, C).</param>
    /// <returns>[N]</returns>
    public static Var Pick(Var x, int[] indices) => PickChecked(x, CheckPickIndices("Pick", x.Shape, indices));

    /// <summary><see cref="Pick(Var, int[])"/> with indices already checked against x and owned by the op.</summary>
    private static Var PickChecked(Var x, int[] idx)
    {
        int cols = x.Shape[1];
        var y = Tensor.ByType(x.DType,
            () => { var d = new float[idx.Length]; LossKernels.Pick(x.Value.Span<float>(), idx, d, cols); return Tensor.Own(d, [idx.Length]); },
            () => { var d = new double[idx.Length]; LossKernels.Pick(x.Value.Span<double>(), idx, d, cols); return Tensor.Own(d, [idx.Length]); });
        return Record("pick", y, (g, _, _) => [PickTranspose(g, idx, cols)], $"C={cols}", x);
    }

    /// <summary>A private copy of <paramref name="indices"/> after checking them against x [N, C]; errors name <paramref name="op"/>.</summary>
    private static int[] CheckPickIndices(string op, Shape x, int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (x.Rank != 2)
            throw new ArgumentException($"{op} expects input [N, C] but got {x}; flatten the leading dimensions first (Op.Reshape(x, -1, C)).");
        if (indices.Length != x[0])
            throw new ArgumentException($"{op} got {indices.Length} labels for an input {x} with N = {x[0]}; pass one label per row.");
        int c = x[1];
        for (int n = 0; n < indices.Length; n++)
            if ((uint)indices[n] >= (uint)c)
                throw new ArgumentException($"{op} got label {indices[n]} at position {n}, but the input {x} has C = {c} classes; labels must lie in [0, {c - 1}].");
        return (int[])indices.Clone();
    }
}
