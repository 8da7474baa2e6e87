using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// 2-D transposed convolution (the adjoint of Conv2d in its input) with weight [InChannels, OutChannels/Groups, k, k]
/// and optional bias [OutChannels]; output size (H-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1.
/// Parameters: Cin*(Cout/groups)*k*k + Cout with bias. Initialised as PyTorch's ConvTranspose2d: weight
/// and bias U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with fanIn computed from weight dimension 1, (Cout/groups)*k*k.
/// </summary>
public sealed record ConvTranspose2d(int InChannels, int OutChannels, int KernelSize, int Stride = 1, int Padding = 0,
    int OutputPadding = 0, int Groups = 1, bool Bias = true, int Dilation = 1) : Layer
{
    // NOTE: PyTorch computes fan-in from weight dimension 1, which for a transposed convolution is Cout/groups.
    public override ParamTree<Tensor> Init(Rng rng)
    {
        Conv2d.RequireGroups("ConvTranspose2d", Groups, InChannels, OutChannels);
        return Initializers.WeightAndBias(rng, [InChannels, OutChannels / Groups, KernelSize, KernelSize], OutChannels, Bias);
    }

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) =>
        Op.ConvTranspose2d(x, p["weight"], Bias ? p["bias"] : null, Stride, Padding, OutputPadding, Dilation, Groups);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4 || input[1] != InChannels)
            throw new ArgumentException($"ConvTranspose2d expects input [N, {InChannels}, H, W] but got {input}: the layer was built for {InChannels} input channels.");
        int h = Conv2dOptions.TransposeOutputSize(input[2], KernelSize, Stride, Padding, Padding, Dilation, OutputPadding);
        int w = Conv2dOptions.TransposeOutputSize(input[3], KernelSize, Stride, Padding, Padding, Dilation, OutputPadding);
        if (h < 1 || w < 1)
            throw new ArgumentException($"ConvTranspose2d would give an empty output {h}x{w} for input {input} with kernel {KernelSize}, stride {Stride}, padding {Padding}: reduce the padding.");
        return [input[0], OutChannels, h, w];
    }
}
