using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// A small MobileNet v1-like network for 32x32 images: a 3x3 stem conv InChannels-&gt;Stem without bias,
/// batch norm and ReLU, then <see cref="DepthwiseSeparableConv"/> blocks given as (channels, stride), global
/// average pooling and a linear layer. Names: <c>conv1.weight</c>, <c>bn1.weight</c>,
/// <c>layers.0.conv1.weight</c>, <c>fc.weight</c>. The default blocks are <see cref="Small"/> (274,250 parameters).
/// </summary>
public sealed record MobileNetStyle(ImmutableArray<(int Channels, int Stride)> Blocks, int InChannels = 3, int NumClasses = 10, int Stem = 32) : Composite
{
    /// <summary>(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2): 32x32 down to 4x4.</summary>
    public static ImmutableArray<(int Channels, int Stride)> Small { get; } = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)];

    /// <summary>The <see cref="Small"/> configuration for [N, 3, 32, 32] and 10 classes.</summary>
    public MobileNetStyle() : this(Small) { }

    public override ImmutableArray<(string Name, ILayer Layer)> Children
    {
        get
        {
            var blocks = new ILayer[Blocks.Length];
            int c = Stem;
            for (int i = 0; i < Blocks.Length; i++)
            {
                blocks[i] = new DepthwiseSeparableConv(c, Blocks[i].Channels, Blocks[i].Stride);
                c = Blocks[i].Channels;
            }
            return
            [
                ("conv1", new Conv2d(InChannels, Stem, 3, 1, 1, Bias: false)),
                ("bn1", new BatchNorm2d(Stem)),
                ("relu", new ReLU()),
                ("layers", new Sequential(blocks)),
                ("pool", new GlobalAvgPool()),
                ("fc", new Linear(c, NumClasses)),
            ];
        }
    }
}
