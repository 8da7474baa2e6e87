using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>Max pooling over k x k windows; the stride defaults to the kernel size. Gradient goes to the arg-max.</summary>
public sealed record MaxPool2d(int KernelSize, int? Stride = null, int Padding = 0, int Dilation = 1) : Layer
{
    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Op.MaxPool2d(x, KernelSize, Stride, Padding, Dilation);

    public override Shape OutputShape(Shape input)
    {
        if (input.Rank != 4)
            throw new ArgumentException($"MaxPool2d expects input [N, C, H, W] but got {input}.");
        int s = Stride ?? KernelSize;
        return [input[0], input[1],
            Cnn.Autodiff.Kernels.Pool2dGeometry.OutputSize(input[2], KernelSize, s, Padding, Dilation),
            Cnn.Autodiff.Kernels.Pool2dGeometry.OutputSize(input[3], KernelSize, s, Padding, Dilation)];
    }
}
