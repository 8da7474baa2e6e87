using System.Numerics;
using System.Numerics.Tensors;
using Tensor = Cnn.Autodiff.Tensor;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>Gradient clipping over whole gradient trees, as torch.nn.utils.clip_grad_norm_ and clip_grad_value_.</summary>
public static class Clip
{
    /// <summary>
    /// Scales every gradient by c = maxNorm / (‖g‖ + 1e-6) when c &lt; 1, where ‖g‖ is the 2-norm of all
    /// gradients taken together as one vector; returns the (possibly) scaled tree and ‖g‖ before scaling.
    /// </summary>
    /// <remarks>
    /// NOTE: as the factor is applied only when it is below 1, a non-finite norm leaves the gradients unchanged
    /// (PyTorch would multiply them by NaN); the returned norm tells the caller to skip the step.
    /// </remarks>
    public static (ParamTree<Tensor> Grads, double TotalNorm) ByGlobalNorm(ParamTree<Tensor> grads, double maxNorm)
    {
        Trees.AtLeast("Clip.ByGlobalNorm", nameof(maxNorm), maxNorm, 0);
        double sumOfSquares = 0;
        foreach (var (_, g) in grads)
        {
            double norm = g.DType == DType.Float32 ? TensorPrimitives.Norm(g.Span<float>()) : TensorPrimitives.Norm(g.Span<double>());
            sumOfSquares += norm * norm;
        }
        double total = Math.Sqrt(sumOfSquares);
        double factor = maxNorm / (total + 1e-6);
        if (!(factor < 1)) return (grads, total);
        return (grads.Map(g => g.DType == DType.Float32 ? Scale<float>(g, factor) : Scale<double>(g, factor)), total);
    }

    /// <summary>Clamps every gradient element to [-clipValue, clipValue].</summary>
    public static ParamTree<Tensor> ByValue(ParamTree<Tensor> grads, double clipValue)
    {
        Trees.AtLeast("Clip.ByValue", nameof(clipValue), clipValue, 0);
        return grads.Map(g => g.DType == DType.Float32 ? Clamp<float>(g, clipValue) : Clamp<double>(g, clipValue));
    }

    private static Tensor Scale<T>(Tensor g, double factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Uninitialized<T>(g.Size);
        TensorPrimitives.Multiply(g.Span<T>(), T.CreateTruncating(factor), y);
        return Tensor.Own(y, g.Shape);
    }

    private static Tensor Clamp<T>(Tensor g, double clipValue) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Uninitialized<T>(g.Size);
        var v = T.CreateTruncating(clipValue);
        TensorPrimitives.Clamp(g.Span<T>(), -v, v, y);
        return Tensor.Own(y, g.Shape);
    }
}
