using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Batch normalisation over the channels of [N, C, H, W]: y = (x - mean) / sqrt(var + Eps) * weight + bias.
/// Parameters <c>weight</c> [C] (ones) and <c>bias</c> [C] (zeros); state <c>running_mean</c> [C] (zeros) and
/// <c>running_var</c> [C] (ones), named as PyTorch's state_dict. In <see cref="Mode.Train"/> the batch
/// statistics normalise and the returned state is the running update (1 - Momentum) * old + Momentum * batch
/// (unbiased variance); in <see cref="Mode.Eval"/> the running statistics normalise (an affine map) and
/// the state is returned unchanged.
/// </summary>
/// <remarks>NOTE: PyTorch's num_batches_tracked is not kept: it only matters for momentum=None (a cumulative average), which this layer does not offer.</remarks>
public sealed record BatchNorm2d(int NumFeatures, double Eps = 1e-5, double Momentum = 0.1) : ILayer
{
    public ParamTree<Tensor> Init(Rng rng) =>
        ParamTree.Of(("weight", Tensor.Ones([NumFeatures])), ("bias", Tensor.Zeros([NumFeatures])));

    public ParamTree<Tensor> InitState() =>
        ParamTree.Of(("running_mean", Tensor.Zeros([NumFeatures])), ("running_var", Tensor.Ones([NumFeatures])));

    public LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        OutputShape(x.Shape);
        if (!ctx.State.Contains("running_mean") || !ctx.State.Contains("running_var"))
            throw new ArgumentException($"BatchNorm2d needs state running_mean and running_var but the context holds [{string.Join(", ", ctx.State.Paths)}]: pass the network's InitState() (or the state returned by the last training step) in the LayerContext.");
        var r = Op.BatchNorm(x, p["weight"], p["bias"], ctx.State["running_mean"], ctx.State["running_var"], ctx.Training, Momentum, Eps);
        return new LayerResult(r.Output, ParamTree.Of(("running_mean", r.RunningMean!), ("running_var", r.RunningVar!)));
    }

    public Shape OutputShape(Shape input)
    {
        if (input.Rank != 4 || input[1] != NumFeatures)
            throw new ArgumentException($"BatchNorm2d expects input [N, {NumFeatures}, H, W] but got {input}: the layer was built for {NumFeatures} channels.");
        return input;
    }
}
