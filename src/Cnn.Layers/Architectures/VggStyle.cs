using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// A VGG-style network with batch norm, configured by a list: a positive entry c adds a 3x3 conv (pad 1,
/// with bias) to c channels, batch norm and ReLU; <see cref="M"/> adds 2x2 max pooling. Then flatten and
/// a linear layer to NumClasses. Names as torchvision's vgg*_bn: <c>features.0.weight</c>, <c>features.1.running_mean</c>,
/// <c>classifier.1.weight</c> (a flatten at classifier.0). The default is VGG-11 for 32x32 input (9,231,114 parameters).
/// </summary>
/// <param name="Config">Channel counts and <see cref="M"/> markers, e.g. <c>[64, M, 128, M]</c>.</param>
/// <param name="InputSize">The input height and width, which fixes the classifier's input size.</param>
public sealed record VggStyle(ImmutableArray<int> Config, int InChannels = 3, int NumClasses = 10, int InputSize = 32) : Composite
{
    /// <summary>The max-pooling marker in <see cref="Config"/>.</summary>
    public const int M = 0;

    /// <summary>VGG-11: 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M.</summary>
    public static ImmutableArray<int> Vgg11 { get; } = [64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M];

    /// <summary>VGG-11 for [N, 3, 32, 32] and 10 classes.</summary>
    public VggStyle() : this(Vgg11) { }

    public override ImmutableArray<(string Name, ILayer Layer)> Children
    {
        get
        {
            var features = ImmutableArray.CreateBuilder<ILayer>();
            int c = InChannels, size = InputSize;
            foreach (int v in Config)
            {
                if (v == M)
                {
                    features.Add(new MaxPool2d(2));
                    size /= 2;
                }
                else if (v > 0)
                {
                    features.AddRange(new Conv2d(c, v, 3, Padding: 1), new BatchNorm2d(v), new ReLU());
                    c = v;
                }
                else throw new ArgumentException($"VggStyle expects channel counts (positive) or VggStyle.M (0) in its config but got {v}.");
            }
            if (size < 1)
                throw new ArgumentException($"VggStyle's config pools an input of {InputSize}x{InputSize} below 1x1: use fewer M entries or a larger input.");
            return
            [
                ("features", new Sequential(features.ToImmutable())),
                ("classifier", new Sequential(new Flatten(), new Linear(c * size * size, NumClasses))),
            ];
        }
    }
}
