using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// 2-D convolution (cross-correlation) with weight [OutChannels, InChannels/Groups, k, k] and optional
/// bias [OutChannels]. Parameters: Cout*(Cin/groups*k*k + 1) with bias. Initialised as PyTorch's Conv2d.
/// </summary>
public sealed record Conv2d(int InChannels, int OutChannels, int KernelSize, int Stride = 1, int Padding = 0,
    int Dilation = 1, int Groups = 1, bool Bias = true) : Layer
{
    public override ParamTree<Tensor> Init(Rng rng)
    {
        var (kw, kb) = rng.Split();
        int fanIn = InChannels / Groups * KernelSize * KernelSize;
        var w = Initializers.PyTorchDefault(kw, [OutChannels, InChannels / Groups, KernelSize, KernelSize], fanIn);
        return Bias
            ? ParamTree.Of(("weight", w), ("bias", Initializers.PyTorchDefault(kb, [OutChannels], fanIn)))
            : ParamTree.Of(("weight", w));
    }

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) =>
        Op.Conv2d(x, p["weight"], Bias ? p["bias"] : null, Stride, Padding, Dilation, Groups);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4 || input[1] != InChannels)
            throw new ArgumentException($"Conv2d expects input [N, {InChannels}, H, W] but got {input}: the layer was built for {InChannels} input channels.");
        var o = Conv2dOptions.Create(Stride, Padding, Dilation, Groups);
        return [input[0], OutChannels, o.OutputHeight(input[2], KernelSize), o.OutputWidth(input[3], KernelSize)];
    }
}
