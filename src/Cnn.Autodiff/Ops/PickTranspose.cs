using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// y = zeros [N, <paramref name="cols"/>] with y[n, indices[n]] = x[n]: the adjoint of
    /// <see cref="Pick(Var, int[])"/> (its pullback is Pick again, so both are closed under differentiation).
    /// </summary>
    /// <param name="x">[N]</param>
    /// <param name="indices">N checked column indices in [0, cols), never written.</param>
    internal static Var PickTranspose(Var x, int[] indices, int cols)
    {
        var y = Tensor.ByType(x.DType,
            () => { var d = new float[indices.Length * cols]; LossKernels.PickTranspose(x.Value.Span<float>(), indices, d, cols); return Tensor.Own(d, [indices.Length, cols]); },
            () => { var d = new double[indices.Length * cols]; LossKernels.PickTranspose(x.Value.Span<double>(), indices, d, cols); return Tensor.Own(d, [indices.Length, cols]); });
        return Record("pick_transpose", y, (g, _, _) => [PickChecked(g, indices)], $"C={cols}", x);
    }
}
