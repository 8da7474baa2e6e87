using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Layers applied one after another. Children are named 0, 1, 2, ... so parameter paths read
/// <c>0.weight</c>, <c>3.bias</c>, as in PyTorch's nn.Sequential; state is threaded through the children.
/// </summary>
public sealed record Sequential(ImmutableArray<ILayer> Layers) : ILayer
{
    public Sequential(params ILayer[] layers) : this(layers.ToImmutableArray()) { }

    public ParamTree<Tensor> Init(Rng rng)
    {
        var keys = rng.Split(Layers.Length);
        return ParamTree.Of(Layers.Select((l, i) => (i.ToString(), (object)l.Init(keys[i]))).ToArray());
    }

    public ParamTree<Tensor> InitState() => ParamTree.Of(Layers.Select((l, i) => (i.ToString(), (object)l.InitState())).ToArray());

    public LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        var states = new (string, object)[Layers.Length];
        for (int i = 0; i < Layers.Length; i++)
        {
            var name = i.ToString();
            var r = Layers[i].Forward(p.Sub(name), x, ctx.Child(name));
            x = r.Output;
            states[i] = (name, r.State);
        }
        return new LayerResult(x, ParamTree.Of(states));
    }

    public Shape OutputShape(Shape input)
    {
        foreach (var l in Layers) input = l.OutputShape(input);
        return input;
    }
}
