using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Average pooling to a fixed [OutputHeight, OutputWidth] whatever the input size, as PyTorch's
/// AdaptiveAvgPool2d (window i spans floor(i H / out) to ceil((i + 1) H / out)).
/// </summary>
public sealed record AdaptiveAvgPool2d(int OutputHeight, int OutputWidth) : Layer
{
    /// <summary>A square output size.</summary>
    public AdaptiveAvgPool2d(int outputSize) : this(outputSize, outputSize) { }

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.AdaptiveAvgPool2d(x, OutputHeight, OutputWidth);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"AdaptiveAvgPool2d expects input [N, C, H, W] but got {input}.");
        if (OutputHeight < 1 || OutputWidth < 1)
            throw new ArgumentException($"AdaptiveAvgPool2d needs an output size of at least (1, 1) but got ({OutputHeight}, {OutputWidth}).");
        return [input[0], input[1], OutputHeight, OutputWidth];
    }
}
