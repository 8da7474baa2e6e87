using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Inverted dropout, as torch.nn.functional.dropout: in training, y = x * mask / (1 - p) with
    /// mask[i] ~ Bernoulli(1 - p) drawn from <paramref name="rng"/> (the same key gives the same mask);
    /// otherwise, or when p = 0, y = x. The expectation of y equals x.
    /// </summary>
    /// <param name="x">Any shape; y has the same shape.</param>
    /// <param name="p">The probability of zeroing an element, in [0, 1].</param>
    /// <remarks>NOTE: p = 1 drops everything and gives zeros (with zero gradient), as PyTorch does.</remarks>
    public static Var Dropout(Var x, double p, Rng rng, bool training)
    {
        if (!(p >= 0 && p <= 1))
            throw new ArgumentException($"Dropout expects a drop probability p in [0, 1] but got {p}; p is the fraction of elements zeroed (0.5 is common).");
        if (!training || p == 0) return x;
        var mask = Tensor.ByType(x.DType,
            () => { var d = Buffers.Zeroed<float>(x.Value.Size); LossKernels.DropoutMask(rng, p, d.AsSpan()); return Tensor.Own(d, x.Shape); },
            () => { var d = Buffers.Zeroed<double>(x.Value.Size); LossKernels.DropoutMask(rng, p, d.AsSpan()); return Tensor.Own(d, x.Shape); });
        return Multiply(x, mask);
    }
}
