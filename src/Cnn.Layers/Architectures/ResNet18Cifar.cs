using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// ResNet-18 for 32x32 images (the CIFAR variant): a 3x3 stem conv InChannels-&gt;Width without bias, batch
/// norm and ReLU, no max pooling; four stages of two <see cref="BasicBlock"/>s with Width, 2, 4, 8 Width
/// channels (stages 2-4 start with stride 2); global average pooling; linear 8 Width -&gt; NumClasses.
/// 11,173,962 parameters at the defaults (batch-norm weights and biases counted, running statistics not).
/// Names: <c>conv1.weight</c>, <c>bn1.running_mean</c>, <c>layer2.0.shortcut.0.weight</c>, <c>fc.weight</c>.
/// </summary>
public sealed record ResNet18Cifar(int NumClasses = 10, int InChannels = 3, int Width = 64) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("conv1", new Conv2d(InChannels, Width, 3, 1, 1, Bias: false)),
        ("bn1", new BatchNorm2d(Width)),
        ("relu", new ReLU()),
        ("layer1", Stage(Width, Width, 1)),
        ("layer2", Stage(Width, 2 * Width, 2)),
        ("layer3", Stage(2 * Width, 4 * Width, 2)),
        ("layer4", Stage(4 * Width, 8 * Width, 2)),
        ("pool", new GlobalAvgPool()),
        ("fc", new Linear(8 * Width, NumClasses)),
    ];

    private static Sequential Stage(int inChannels, int outChannels, int stride) =>
        new(new BasicBlock(inChannels, outChannels, stride), new BasicBlock(outChannels, outChannels));
}
