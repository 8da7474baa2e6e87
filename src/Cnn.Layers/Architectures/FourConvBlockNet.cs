using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// Four <see cref="ConvBlock"/>s (3x3 conv, batch norm, ReLU) of Width, 2 Width, 4 Width and 8 Width channels
/// with 2x2 max pooling between them, global average pooling, and a linear layer 8 Width -&gt; NumClasses.
/// Any input size of at least 8x8 works. Children <c>features</c> (blocks at 0, 2, 4, 6) and <c>classifier</c>
/// (linear at 1). 391,466 parameters at the defaults.
/// </summary>
public sealed record FourConvBlockNet(int InChannels = 3, int NumClasses = 10, int Width = 32) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("features", new Sequential(
            new ConvBlock(InChannels, Width), new MaxPool2d(2),
            new ConvBlock(Width, 2 * Width), new MaxPool2d(2),
            new ConvBlock(2 * Width, 4 * Width), new MaxPool2d(2),
            new ConvBlock(4 * Width, 8 * Width))),
        ("classifier", new Sequential(new GlobalAvgPool(), new Linear(8 * Width, NumClasses))),
    ];
}
