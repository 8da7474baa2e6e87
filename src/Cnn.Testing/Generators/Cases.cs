using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Testing;

/// <summary>Shapes of a function's inputs and the seed their values come from.</summary>
public sealed record InputsCase(Shape[] Shapes, int Seed)
{
    public override string ToString() => $"inputs {string.Join(", ", Shapes)}, seed {Seed}";
}

/// <summary>
/// A consistent 2-D convolution: input [N, InChannels, H, W], weight [OutChannels, InChannels/groups, KernelH, KernelW],
/// bias [OutChannels], settings with an output of at least 1 x 1.
/// </summary>
public sealed record Conv2dCase(int N, int InChannels, int OutChannels, int H, int W, int KernelH, int KernelW, Conv2dOptions Options, int Seed)
{
    /// <summary>[N, InChannels, H, W]</summary>
    public Shape InputShape => [N, InChannels, H, W];

    /// <summary>[OutChannels, InChannels / Groups, KernelH, KernelW]</summary>
    public Shape WeightShape => [OutChannels, InChannels / Options.Groups, KernelH, KernelW];

    /// <summary>[OutChannels]</summary>
    public Shape BiasShape => [OutChannels];

    /// <summary>[N, OutChannels, OH, OW]</summary>
    public Shape OutputShape => [N, OutChannels, Options.OutputHeight(H, KernelH), Options.OutputWidth(W, KernelW)];

    public override string ToString() => $"input {InputShape}, weight {WeightShape}, kernel {KernelH}x{KernelW}, {Options}, seed {Seed}";
}

/// <summary>Bounds for <see cref="Gens.Conv2d"/>; <see cref="Square"/> draws one kernel size, stride, padding and dilation for both axes and all sides (what an integer-argument Conv2d takes).</summary>
public sealed record Conv2dBounds(int MaxBatch = 2, int MaxGroups = 3, int MaxChannelsPerGroup = 2, int MaxKernel = 3,
    int MaxStride = 3, int MaxPadding = 2, int MaxDilation = 2, int MaxExtra = 3, bool Square = false);

/// <summary>A consistent 2-D pooling: input [N, C, H, W] and per-axis (height, width) settings with padding at most half the kernel and at least one window.</summary>
public sealed record Pool2dCase(int N, int C, int H, int W, (int H, int W) Kernel, (int H, int W) Stride, (int H, int W) Padding, (int H, int W) Dilation, int Seed)
{
    /// <summary>[N, C, H, W]</summary>
    public Shape InputShape => [N, C, H, W];

    /// <summary>[N, C, OH, OW]</summary>
    public Shape OutputShape => [N, C,
        Pool2dGeometry.OutputSize(H, Kernel.H, Stride.H, Padding.H, Dilation.H),
        Pool2dGeometry.OutputSize(W, Kernel.W, Stride.W, Padding.W, Dilation.W)];

    public override string ToString() =>
        $"input {InputShape}, kernel {Kernel.H}x{Kernel.W}, stride {Stride.H}x{Stride.W}, padding {Padding.H}x{Padding.W}, dilation {Dilation.H}x{Dilation.W}, seed {Seed}";
}

/// <summary>Bounds for <see cref="Gens.Pool2d"/>; <see cref="Square"/> uses the same settings on both axes.</summary>
public sealed record Pool2dBounds(int MaxBatch = 2, int MaxChannels = 2, int MaxKernel = 3, int MaxStride = 3, int MaxDilation = 1, int MaxExtra = 3, bool Square = false);
