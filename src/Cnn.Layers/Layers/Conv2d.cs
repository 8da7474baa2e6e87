using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// 2-D convolution (cross-correlation) with weight [OutChannels, InChannels/Groups, k, k] and optional
/// bias [OutChannels]. Parameters: Cout*(Cin/groups*k*k + 1) with bias. Initialised as PyTorch's Conv2d:
/// weight and bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn = Cin/groups*k*k.
/// </summary>
/// <param name="Options">Stride, per-side padding, dilation and groups (see <see cref="Conv2dOptions"/>).</param>
public sealed record Conv2d(int InChannels, int OutChannels, int KernelSize, Conv2dOptions Options, bool Bias = true) : Layer
{
    /// <summary>The same stride, padding (every side) and dilation on both axes, as PyTorch's integer arguments.</summary>
    public Conv2d(int InChannels, int OutChannels, int KernelSize, int Stride = 1, int Padding = 0, int Dilation = 1, int Groups = 1, bool Bias = true)
        : this(InChannels, OutChannels, KernelSize, Conv2dOptions.Create(Stride, Padding, Dilation, Groups), Bias) { }

    /// <summary>A stride-1 convolution that keeps H and W (PyTorch's padding='same'; an odd total padding puts the extra zero at the bottom / right).</summary>
    public static Conv2d Same(int inChannels, int outChannels, int kernelSize, int dilation = 1, int groups = 1, bool bias = true) =>
        new(inChannels, outChannels, kernelSize, Conv2dOptions.Same(kernelSize, kernelSize, 1, dilation, groups), bias);

    /// <summary>Channel groups.</summary>
    public int Groups => Options.Groups;

    public override ParamTree<Tensor> Init(Rng rng)
    {
        RequireGroups("Conv2d", Groups, InChannels, OutChannels);
        return Initializers.WeightAndBias(rng, [OutChannels, InChannels / Groups, KernelSize, KernelSize], OutChannels, Bias);
    }

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) =>
        Op.Conv2d(x, p["weight"], Bias ? p["bias"] : null, Options);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4 || input[1] != InChannels)
            throw new ArgumentException($"Conv2d expects input [N, {InChannels}, H, W] but got {input}: the layer was built for {InChannels} input channels.");
        int h = Options.OutputHeight(input[2], KernelSize), w = Options.OutputWidth(input[3], KernelSize);
        if (h < 1 || w < 1)
            throw new ArgumentException($"Conv2d with kernel {KernelSize} and {Options} would give an empty output {h}x{w} for input {input}: use a larger input, more padding or a smaller kernel.");
        return [input[0], OutChannels, h, w];
    }

    /// <summary>Throws unless <paramref name="groups"/> is positive and divides both channel counts; names the layer.</summary>
    internal static void RequireGroups(string layer, int groups, int inChannels, int outChannels)
    {
        if (groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"{layer} expects groups={groups} to divide both InChannels ({inChannels}) and OutChannels ({outChannels}): choose groups among their common divisors.");
    }
}
