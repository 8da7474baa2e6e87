using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// relu(bn(conv(x))): a k x k convolution without bias (batch norm's bias takes its place), batch norm,
/// ReLU. Children <c>conv</c>, <c>bn</c>; padding k/2 keeps H and W at stride 1.
/// </summary>
public sealed record ConvBlock(int InChannels, int OutChannels, int KernelSize = 3, int Stride = 1) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("conv", new Conv2d(InChannels, OutChannels, KernelSize, Stride, KernelSize / 2, Bias: false)),
        ("bn", new BatchNorm2d(OutChannels)),
        ("relu", new ReLU()),
    ];
}
