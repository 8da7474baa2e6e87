namespace Cnn.Autodiff.Kernels;

/// <summary>
/// Every size a 2-D convolution kernel needs, in convolution terms: input x [Batch, InChannels, InH, InW],
/// weight [OutChannels, InChannels/Groups, KernelH, KernelW], output [Batch, OutChannels, OutH, OutW], with
/// y[n, k, i, j] reading x[n, ., i*StrideH - PadTop + a*DilationH, j*StrideW - PadLeft + c*DilationW].
/// The transposed convolution and the weight gradient use the same geometry (the convolution they are
/// adjoint to). The bottom / right padding is implied by OutH / OutW.
/// </summary>
public readonly record struct Conv2dGeometry(
    int Batch, int InChannels, int InH, int InW,
    int OutChannels, int KernelH, int KernelW, int OutH, int OutW,
    int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW, int Groups)
{
    /// <summary>Input channels of one group.</summary>
    public int InChannelsPerGroup => InChannels / Groups;

    /// <summary>Output channels of one group.</summary>
    public int OutChannelsPerGroup => OutChannels / Groups;

    /// <summary>Rows of one group's column matrix: (InChannels/Groups) * KernelH * KernelW.</summary>
    public int PatchSize => InChannelsPerGroup * KernelH * KernelW;

    /// <summary>InH * InW.</summary>
    public int InPlane => InH * InW;

    /// <summary>OutH * OutW.</summary>
    public int OutPlane => OutH * OutW;

    /// <summary>Multiply-adds of one sample of the forward convolution.</summary>
    public long MacsPerSample => (long)OutChannels * OutPlane * PatchSize;
}
