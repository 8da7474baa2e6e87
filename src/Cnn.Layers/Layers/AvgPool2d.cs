using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Layers;

/// <summary>
/// Average pooling over k x k windows; the stride defaults to the kernel size. With <c>CountIncludePad</c>
/// the divisor is k*k, otherwise the number of window positions inside the input (PyTorch's count_include_pad).
/// </summary>
public sealed record AvgPool2d(int KernelSize, int? Stride = null, int Padding = 0, bool CountIncludePad = true) : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.AvgPool2d(x, KernelSize, Stride, Padding, CountIncludePad);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"AvgPool2d expects input [N, C, H, W] but got {input}.");
        int s = Stride ?? KernelSize;
        int h = Pool2dGeometry.OutputSize(input[2], KernelSize, s, Padding, 1), w = Pool2dGeometry.OutputSize(input[3], KernelSize, s, Padding, 1);
        if (h < 1 || w < 1)
            throw new ArgumentException($"AvgPool2d with kernel {KernelSize} gives an empty output for input {input}: use a smaller kernel or a larger input.");
        return [input[0], input[1], h, w];
    }
}
