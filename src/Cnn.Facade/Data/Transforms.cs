using System.Numerics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Cnn.Autodiff;

namespace Cnn.Facade.Data;

/// <summary>
/// A transform of a whole batch of samples (float32 or float64). Random transforms draw each sample's randomness
/// from the batch key folded with the sample's index in its dataset (<c>rng.Fold(sampleId)</c>), so a sample's augmentation
/// depends only on (key, sample index), not on the batch it lands in or the batch size.
/// </summary>
public interface IBatchTransform
{
    /// <summary>Transforms a batch.</summary>
    /// <param name="x">[B, C, H, W] (Normalize accepts any [B, C, ...]).</param>
    /// <param name="sampleIds">The dataset index of each of the B samples.</param>
    /// <param name="rng">The key of this transform for this epoch.</param>
    Tensor Apply(Tensor x, ReadOnlySpan<int> sampleIds, Rng rng);
}

/// <summary>Applies transforms in order; transform k receives the key <c>rng.Fold(k)</c>.</summary>
public sealed class Compose(params IBatchTransform[] transforms) : IBatchTransform
{
    private readonly IBatchTransform[] _transforms = (IBatchTransform[])transforms.Clone();

    public Tensor Apply(Tensor x, ReadOnlySpan<int> sampleIds, Rng rng)
    {
        for (int k = 0; k < _transforms.Length; k++) x = _transforms[k].Apply(x, sampleIds, rng.Fold(k));
        return x;
    }
}

/// <summary>
/// Per-channel standardisation (torchvision's Normalize): <c>y[b, c, ...] = (x[b, c, ...] - mean[c]) / std[c]</c>.
/// </summary>
public sealed class Normalize : IBatchTransform
{
    private readonly double[] _mean, _std;

    /// <param name="mean">One mean per channel.</param>
    /// <param name="std">One standard deviation per channel, each positive and finite.</param>
    public Normalize(double[] mean, double[] std)
    {
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"Normalize expects one mean and one std per channel (equal, non-zero counts) but got {mean.Length} means and {std.Length} stds.", nameof(std));
        for (int c = 0; c < std.Length; c++)
            if (!(std[c] > 0) || !double.IsFinite(std[c]) || !double.IsFinite(mean[c]))
                throw new ArgumentException($"Normalize expects finite means and positive finite stds but channel {c} has mean {mean[c]} and std {std[c]}.", nameof(std));
        _mean = (double[])mean.Clone();
        _std = (double[])std.Clone();
    }

    public Tensor Apply(Tensor x, ReadOnlySpan<int> sampleIds, Rng rng)
    {
        if (x.Rank < 2 || x.Shape[1] != _mean.Length)
            throw new ArgumentException($"Normalize expects a batch [B, {_mean.Length}, ...] (one channel per mean) but got {x.Shape}.", nameof(x));
        return x.DType == DType.Float32
            ? Tensor.FromArray(Run(x.Span<float>(), x.Shape), x.Shape)
            : Tensor.FromArray(Run(x.Span<double>(), x.Shape), x.Shape);
    }

    private T[] Run<T>(ReadOnlySpan<T> x, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = shape[1], plane = shape.Size == 0 ? 0 : shape.Size / (shape[0] * channels);
        var y = new T[x.Length];
        for (int p = 0; p < shape[0] * channels; p++)
        {
            int c = p % channels;
            var dst = y.AsSpan(p * plane, plane);
            TensorPrimitives.Subtract(x.Slice(p * plane, plane), T.CreateChecked(_mean[c]), dst);
            TensorPrimitives.Divide(dst, T.CreateChecked(_std[c]), dst);
        }
        return y;
    }
}

/// <summary>
/// Random crop with zero padding (torchvision's RandomCrop(size = (H, W), padding)): each sample is padded with
/// <c>Padding</c> zeros on every side and an H x W window at a uniform offset (dy, dx) in [0, 2 Padding]^2 is kept:
/// <c>y[b, c, h, w] = x[b, c, h + dy - Padding, w + dx - Padding]</c>, zero outside x.
/// </summary>
public sealed class RandomCrop : IBatchTransform
{
    /// <param name="padding">Zeros added on each side before cropping, at least 0.</param>
    public RandomCrop(int padding)
    {
        if (padding < 0)
            throw new ArgumentOutOfRangeException(nameof(padding), $"RandomCrop expects padding >= 0 but got {padding}.");
        Padding = padding;
    }

    public int Padding { get; }

    /// <summary>The offsets (dy, dx) in the padded image, each in [0, 2 Padding], for one sample key.</summary>
    public (int Dy, int Dx) Offsets(Rng sampleKey) => (sampleKey.Int(0, 2 * Padding + 1), sampleKey.Int(1, 2 * Padding + 1));

    public Tensor Apply(Tensor x, ReadOnlySpan<int> sampleIds, Rng rng)
    {
        RequireImages("RandomCrop", x, sampleIds);
        return x.DType == DType.Float32
            ? Tensor.FromArray(Run(x.Span<float>(), x.Shape, sampleIds, rng), x.Shape)
            : Tensor.FromArray(Run(x.Span<double>(), x.Shape, sampleIds, rng), x.Shape);
    }

    private T[] Run<T>(ReadOnlySpan<T> x, Shape shape, ReadOnlySpan<int> sampleIds, Rng rng) where T : unmanaged
    {
        int channels = shape[1], height = shape[2], width = shape[3];
        var y = new T[x.Length];
        for (int b = 0; b < shape[0]; b++)
        {
            var (dy, dx) = Offsets(rng.Fold(sampleIds[b]));
            int sy = dy - Padding, sx = dx - Padding;
            // Output columns [w0, w1) read source columns [w0 + sx, w1 + sx) inside x; the rest stay zero.
            int w0 = Math.Max(0, -sx), w1 = Math.Min(width, width - sx);
            if (w1 <= w0) continue;
            for (int c = 0; c < channels; c++)
            {
                int plane = (b * channels + c) * height * width;
                for (int h = Math.Max(0, -sy); h < Math.Min(height, height - sy); h++)
                    x.Slice(plane + (h + sy) * width + w0 + sx, w1 - w0).CopyTo(y.AsSpan(plane + h * width + w0, w1 - w0));
            }
        }
        return y;
    }

    internal static void RequireImages(string name, Tensor x, ReadOnlySpan<int> sampleIds)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"{name} expects a batch of images [B, C, H, W] but got {x.Shape}.", nameof(x));
        if (sampleIds.Length != x.Shape[0])
            throw new ArgumentException($"{name} expects one sample id per image: the batch {x.Shape} holds {x.Shape[0]} images but got {sampleIds.Length} ids.", nameof(sampleIds));
    }
}

/// <summary>
/// Random horizontal flip (torchvision's RandomHorizontalFlip): with probability <c>Probability</c> a sample is
/// mirrored left-right, <c>y[b, c, h, w] = x[b, c, h, W - 1 - w]</c>; otherwise it is kept.
/// </summary>
public sealed class RandomHorizontalFlip : IBatchTransform
{
    /// <param name="probability">The chance in [0, 1] that a sample is flipped.</param>
    public RandomHorizontalFlip(double probability = 0.5)
    {
        if (!(probability >= 0 && probability <= 1))
            throw new ArgumentOutOfRangeException(nameof(probability), $"RandomHorizontalFlip expects a probability in [0, 1] but got {probability}.");
        Probability = probability;
    }

    public double Probability { get; }

    /// <summary>Whether the sample with this key is flipped.</summary>
    public bool Flips(Rng sampleKey) => sampleKey.Uniform(0) < Probability;

    public Tensor Apply(Tensor x, ReadOnlySpan<int> sampleIds, Rng rng)
    {
        RandomCrop.RequireImages("RandomHorizontalFlip", x, sampleIds);
        return x.DType == DType.Float32
            ? Tensor.FromArray(Run(x.Span<float>(), x.Shape, sampleIds, rng), x.Shape)
            : Tensor.FromArray(Run(x.Span<double>(), x.Shape, sampleIds, rng), x.Shape);
    }

    private T[] Run<T>(ReadOnlySpan<T> x, Shape shape, ReadOnlySpan<int> sampleIds, Rng rng) where T : unmanaged
    {
        var y = x.ToArray();
        int sample = x.Length == 0 ? 0 : x.Length / shape[0], width = shape[3];
        for (int b = 0; b < shape[0]; b++)
        {
            if (!Flips(rng.Fold(sampleIds[b]))) continue;
            for (int row = b * sample; row < (b + 1) * sample; row += width) y.AsSpan(row, width).Reverse();
        }
        return y;
    }
}
