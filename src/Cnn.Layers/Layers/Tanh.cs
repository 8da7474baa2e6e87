using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>y = tanh(x).</summary>
public sealed record Tanh : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.Tanh(x);
    public override Shape OutputShape(Shape input) => input;
}
