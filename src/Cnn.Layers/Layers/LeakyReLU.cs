using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>y = x for x &gt; 0, NegativeSlope * x otherwise.</summary>
public sealed record LeakyReLU(double NegativeSlope = 0.01) : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.LeakyRelu(x, NegativeSlope);
    public override Shape OutputShape(Shape input) => input;
}
