using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>y[n, c] = mean of x[n, c, :, :]: [N, C, H, W] to [N, C] (AdaptiveAvgPool2d(1) followed by a flatten).</summary>
public sealed record GlobalAvgPool : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.GlobalAvgPool2d(x);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"GlobalAvgPool expects input [N, C, H, W] but got {input}.");
        return [input[0], input[1]];
    }
}
