using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>y = max(x, 0).</summary>
public sealed record ReLU : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.Relu(x);
    public override Shape OutputShape(Shape input) => input;
}
