using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>A U-Net contracting stage: 2x2 max pooling (halves H and W), then a <see cref="DoubleConv"/> (child <c>conv</c>).</summary>
public sealed record UNetDown(int InChannels, int OutChannels) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
        [("pool", new MaxPool2d(2)), ("conv", new DoubleConv(InChannels, OutChannels))];
}
