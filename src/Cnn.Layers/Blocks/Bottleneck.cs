using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// The ResNet bottleneck block with expansion 4: 1x1 conv to <c>Planes</c>, 3x3 conv (with the stride),
/// 1x1 conv to 4*Planes, each without bias and followed by batch norm, ReLU after the first two;
/// y = relu(main + shortcut(x)), the shortcut being the identity or a strided 1x1 conv + batch norm
/// (<c>shortcut.0</c>, <c>shortcut.1</c>) when the stride is not 1 or InChannels != 4*Planes.
/// </summary>
public sealed record Bottleneck(int InChannels, int Planes, int Stride = 1) : Composite
{
    /// <summary>Output channels per plane.</summary>
    public const int Expansion = 4;

    /// <summary>The output channel count, 4*Planes.</summary>
    public int OutChannels => Expansion * Planes;

    /// <summary>True when the shortcut is a 1x1 convolution and batch norm rather than the identity.</summary>
    public bool Projects => Stride != 1 || InChannels != OutChannels;

    public override ImmutableArray<(string Name, ILayer Layer)> Children
    {
        get
        {
            ImmutableArray<(string, ILayer)> main =
            [
                ("conv1", new Conv2d(InChannels, Planes, 1, Bias: false)),
                ("bn1", new BatchNorm2d(Planes)),
                ("conv2", new Conv2d(Planes, Planes, 3, Stride, 1, Bias: false)),
                ("bn2", new BatchNorm2d(Planes)),
                ("conv3", new Conv2d(Planes, OutChannels, 1, Bias: false)),
                ("bn3", new BatchNorm2d(OutChannels)),
            ];
            return Projects
                ? main.Add(("shortcut", new Sequential(new Conv2d(InChannels, OutChannels, 1, Stride, Bias: false), new BatchNorm2d(OutChannels))))
                : main;
        }
    }

    public override LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        var c = Children;
        var s = new Scope(p, ctx);
        var h = Op.Relu(s.Run("bn1", c[1].Layer, s.Run("conv1", c[0].Layer, x)));
        h = Op.Relu(s.Run("bn2", c[3].Layer, s.Run("conv2", c[2].Layer, h)));
        h = s.Run("bn3", c[5].Layer, s.Run("conv3", c[4].Layer, h));
        var shortcut = Projects ? s.Run("shortcut", c[6].Layer, x) : x;
        return new LayerResult(Op.Relu(h + shortcut), s.State);
    }

    public override Shape OutputShape(Shape input)
    {
        var c = Children;
        var main = input;
        for (int i = 0; i < 6; i++) main = c[i].Layer.OutputShape(main);
        var shortcut = Projects ? c[6].Layer.OutputShape(input) : input;
        if (main != shortcut)
            throw new ArgumentException($"Bottleneck's main branch gives {main} but its shortcut gives {shortcut} for input {input}.");
        return main;
    }
}
