using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Inverted dropout: in training, each element is zeroed with probability P and the rest scaled by
/// 1 / (1 - P), with the mask drawn from the context's random key (same key, same mask); identity in evaluation.
/// </summary>
public sealed record Dropout(double P = 0.5) : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.Dropout(x, P, ctx.Rng, ctx.Training);
    public override Shape OutputShape(Shape input) => input;
}
