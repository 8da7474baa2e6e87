using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// The MobileNet v1 block: a depthwise 3x3 convolution (groups = InChannels, with the stride) + batch norm
/// + ReLU, then a pointwise 1x1 convolution to OutChannels + batch norm + ReLU; convolutions without bias.
/// Children <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>. Parameters: 9 Cin + Cin*Cout + 2 Cin + 2 Cout.
/// </summary>
public sealed record DepthwiseSeparableConv(int InChannels, int OutChannels, int Stride = 1) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("conv1", new Conv2d(InChannels, InChannels, 3, Stride, 1, Groups: InChannels, Bias: false)),
        ("bn1", new BatchNorm2d(InChannels)),
        ("relu1", new ReLU()),
        ("conv2", new Conv2d(InChannels, OutChannels, 1, Bias: false)),
        ("bn2", new BatchNorm2d(OutChannels)),
        ("relu2", new ReLU()),
    ];
}
