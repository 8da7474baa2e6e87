using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>y = 1 / (1 + exp(-x)).</summary>
public sealed record Sigmoid : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.Sigmoid(x);
    public override Shape OutputShape(Shape input) => input;
}
