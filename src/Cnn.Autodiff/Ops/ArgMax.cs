using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The index along <paramref name="axis"/> of the largest element, for each position of the other axes,
    /// in row-major order of <paramref name="x"/>'s shape without <paramref name="axis"/> (for logits [N, K]
    /// and axis 1: the N predicted classes). Not differentiable: it returns integers, for accuracy and
    /// predictions.
    /// </summary>
    /// <remarks>NOTE: ties go to the first index and NaN counts as the largest value, as torch.argmax.</remarks>
    /// <param name="x">[..., K, ...] with K &gt; 0 along <paramref name="axis"/>.</param>
    public static int[] ArgMax(Tensor x, int axis)
    {
        if (x.Rank == 0)
            throw new ArgumentException($"ArgMax expects a tensor of rank at least 1 but got a scalar {x.Shape}; reshape it to [1].", nameof(x));
        int a = CheckAxis("ArgMax", x.Shape, axis);
        if (x.Shape.Dims[a] == 0)
            throw new ArgumentException($"ArgMax over axis {axis} of {x.Shape} is undefined: the axis is empty.", nameof(x));
        return x.DType == DType.Float32
            ? ReduceKernels.ArgMax(x.Span<float>(), x.Shape, a)
            : ReduceKernels.ArgMax(x.Span<double>(), x.Shape, a);
    }
}
