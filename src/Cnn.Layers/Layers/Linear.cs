using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// y = x W^T + b with weight [OutFeatures, InFeatures] and bias [OutFeatures]; input [..., InFeatures].
/// Parameters: Out*(In + 1) with bias. Initialised as PyTorch's Linear.
/// </summary>
public sealed record Linear(int InFeatures, int OutFeatures, bool Bias = true) : Layer
{
    public override ParamTree<Tensor> Init(Rng rng) => Initializers.WeightAndBias(rng, [OutFeatures, InFeatures], OutFeatures, Bias);

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.Linear(x, p["weight"], Bias ? p["bias"] : null);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank < 1 || input[^1] != InFeatures)
            throw new ArgumentException($"Linear expects input [..., {InFeatures}] but got {input}: the layer was built for {InFeatures} input features.");
        return input.With(-1, OutFeatures);
    }
}
