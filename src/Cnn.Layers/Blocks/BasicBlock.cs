using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// The ResNet basic block: y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), with 3x3 convolutions
/// without bias (conv1 carries the stride). The shortcut is the identity, or a 1x1 convolution with the
/// stride followed by batch norm (children <c>shortcut.0</c>, <c>shortcut.1</c>) when the stride is not 1
/// or the channel count changes. Parameter names as the common CIFAR ResNet in PyTorch: <c>conv1.weight</c>,
/// <c>bn1.weight</c>, <c>shortcut.0.weight</c>.
/// </summary>
public sealed record BasicBlock(int InChannels, int OutChannels, int Stride = 1) : Composite
{
    /// <summary>True when the shortcut is a 1x1 convolution and batch norm rather than the identity.</summary>
    public bool Projects => Stride != 1 || InChannels != OutChannels;

    private Sequential Shortcut => new(new Conv2d(InChannels, OutChannels, 1, Stride, Bias: false), new BatchNorm2d(OutChannels));

    public override ImmutableArray<(string Name, ILayer Layer)> Children
    {
        get
        {
            ImmutableArray<(string, ILayer)> main =
            [
                ("conv1", new Conv2d(InChannels, OutChannels, 3, Stride, 1, Bias: false)),
                ("bn1", new BatchNorm2d(OutChannels)),
                ("conv2", new Conv2d(OutChannels, OutChannels, 3, 1, 1, Bias: false)),
                ("bn2", new BatchNorm2d(OutChannels)),
            ];
            return Projects ? main.Add(("shortcut", Shortcut)) : main;
        }
    }

    public override LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        var c = Children;
        var s = new Scope(p, ctx);
        var h = Op.Relu(s.Run("bn1", c[1].Layer, s.Run("conv1", c[0].Layer, x)));
        h = s.Run("bn2", c[3].Layer, s.Run("conv2", c[2].Layer, h));
        var shortcut = Projects ? s.Run("shortcut", c[4].Layer, x) : x;
        return new LayerResult(Op.Relu(h + shortcut), s.State);
    }

    public override Shape OutputShape(Shape input)
    {
        var c = Children;
        var main = c[3].Layer.OutputShape(c[2].Layer.OutputShape(c[1].Layer.OutputShape(c[0].Layer.OutputShape(input))));
        var shortcut = Projects ? c[4].Layer.OutputShape(input) : input;
        if (main != shortcut)
            throw new ArgumentException($"BasicBlock's main branch gives {main} but its shortcut gives {shortcut} for input {input}.");
        return main;
    }
}
