using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// The U-Net double convolution: (3x3 conv without bias, batch norm, ReLU) twice, padding 1 so H and W
/// are kept. Children <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>.
/// </summary>
public sealed record DoubleConv(int InChannels, int OutChannels) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("conv1", new Conv2d(InChannels, OutChannels, 3, 1, 1, Bias: false)),
        ("bn1", new BatchNorm2d(OutChannels)),
        ("relu1", new ReLU()),
        ("conv2", new Conv2d(OutChannels, OutChannels, 3, 1, 1, Bias: false)),
        ("bn2", new BatchNorm2d(OutChannels)),
        ("relu2", new ReLU()),
    ];
}
