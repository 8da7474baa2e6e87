using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

/// <summary>
/// The settings of a 2-D convolution (and of its transpose): per-axis stride, per-side zero padding,
/// per-axis dilation and the number of groups. Build one with <see cref="Create"/>, <see cref="Same"/>
/// or <see cref="Valid"/> and adjust it with <c>with</c>; <c>default</c> is not valid (its strides are 0).
/// </summary>
/// <param name="StrideH">Step between output rows, at least 1.</param>
/// <param name="StrideW">Step between output columns, at least 1.</param>
/// <param name="PadTop">Zero rows added above the input.</param>
/// <param name="PadBottom">Zero rows added below the input.</param>
/// <param name="PadLeft">Zero columns added left of the input.</param>
/// <param name="PadRight">Zero columns added right of the input.</param>
/// <param name="DilationH">Spacing between kernel rows, at least 1.</param>
/// <param name="DilationW">Spacing between kernel columns, at least 1.</param>
/// <param name="Groups">Channel groups: input and output channels are split into this many independent blocks (depthwise when it equals the input channels).</param>
public readonly record struct Conv2dOptions(
    int StrideH, int StrideW,
    int PadTop, int PadBottom, int PadLeft, int PadRight,
    int DilationH, int DilationW,
    int Groups)
{
    /// <summary>Stride 1, no padding, no dilation, one group.</summary>
    public static Conv2dOptions Default => Create();

    /// <summary>The same <paramref name="stride"/>, <paramref name="padding"/> (every side) and <paramref name="dilation"/> on both axes, as PyTorch's integer arguments.</summary>
    public static Conv2dOptions Create(int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        new(stride, stride, padding, padding, padding, padding, dilation, dilation, groups);

    /// <summary>No padding: the kernel only visits positions inside the input (PyTorch's padding='valid').</summary>
    public static Conv2dOptions Valid(int stride = 1, int dilation = 1, int groups = 1) => Create(stride, 0, dilation, groups);

    /// <summary>
    /// Padding that keeps the spatial size (PyTorch's padding='same'): dilation*(kernel-1) zeros per axis,
    /// split evenly, the odd one going to the bottom / right.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="stride"/> is not 1: 'same' is only defined for stride 1, as in PyTorch.</exception>
    public static Conv2dOptions Same(int kernelH, int kernelW, int stride = 1, int dilation = 1, int groups = 1)
    {
        if (stride != 1)
            throw new ArgumentException($"Conv2d padding 'same' needs stride 1 but got stride {stride}: with a stride the output cannot keep the input's size (PyTorch rejects this too). Give explicit padding, e.g. Conv2dOptions.Create(stride: {stride}, padding: {dilation * (kernelH - 1) / 2}).");
        if (kernelH < 1 || kernelW < 1 || dilation < 1)
            throw new ArgumentException($"Conv2d padding 'same' needs a kernel of at least 1x1 and dilation at least 1 but got kernel {kernelH}x{kernelW}, dilation {dilation}.");
        int th = dilation * (kernelH - 1), tw = dilation * (kernelW - 1);
        // NOTE: an odd total puts the extra zero row / column at the bottom / right, as PyTorch and TensorFlow do.
        return new(1, 1, th / 2, th - th / 2, tw / 2, tw - tw / 2, dilation, dilation, groups);
    }

    /// <summary>
    /// The output length of a convolution along one axis:
    /// floor((inSize + padBefore + padAfter - dilation*(kernel-1) - 1) / stride) + 1.
    /// Zero or negative when the dilated kernel does not fit in the padded input.
    /// </summary>
    public static int OutputSize(int inSize, int kernel, int stride, int padBefore, int padAfter, int dilation) =>
        stride >= 1
            ? FloorDiv(inSize + padBefore + padAfter - dilation * (kernel - 1) - 1, stride) + 1
            : throw new ArgumentException($"Conv2d output size needs a stride of at least 1 but got {stride}.");

    /// <summary>
    /// The output length of a transposed convolution along one axis:
    /// (inSize-1)*stride - padBefore - padAfter + dilation*(kernel-1) + outputPadding + 1.
    /// </summary>
    public static int TransposeOutputSize(int inSize, int kernel, int stride, int padBefore, int padAfter, int dilation, int outputPadding) =>
        (inSize - 1) * stride - padBefore - padAfter + dilation * (kernel - 1) + outputPadding + 1;

    /// <summary>The output height for input height <paramref name="h"/> and kernel height <paramref name="kh"/>.</summary>
    public int OutputHeight(int h, int kh) => OutputSize(h, kh, StrideH, PadTop, PadBottom, DilationH);

    /// <summary>The output width for input width <paramref name="w"/> and kernel width <paramref name="kw"/>.</summary>
    public int OutputWidth(int w, int kw) => OutputSize(w, kw, StrideW, PadLeft, PadRight, DilationW);

    /// <summary>Compact form for traces: <c>stride=1x1 pad=t,b,l,r dilation=1x1 groups=1</c>.</summary>
    public override string ToString() =>
        $"stride={StrideH}x{StrideW} pad={PadTop},{PadBottom},{PadLeft},{PadRight} dilation={DilationH}x{DilationW} groups={Groups}";

    /// <summary>Throws naming <paramref name="op"/> unless strides, dilations and groups are positive and paddings non-negative.</summary>
    internal void Validate(string op)
    {
        if (StrideH < 1 || StrideW < 1)
            throw new ArgumentException($"{op} expects a stride of at least 1 but got {StrideH}x{StrideW}: use stride 1 for a dense convolution (default(Conv2dOptions) has stride 0; start from Conv2dOptions.Create).");
        if (DilationH < 1 || DilationW < 1)
            throw new ArgumentException($"{op} expects a dilation of at least 1 but got {DilationH}x{DilationW}: use dilation 1 for an ordinary kernel.");
        if (PadTop < 0 || PadBottom < 0 || PadLeft < 0 || PadRight < 0)
            throw new ArgumentException($"{op} expects non-negative padding but got top {PadTop}, bottom {PadBottom}, left {PadLeft}, right {PadRight}: crop the input instead of padding negatively.");
        if (Groups < 1)
            throw new ArgumentException($"{op} expects at least 1 group but got {Groups}.");
    }

    /// <summary>The kernel-level geometry of a convolution from input [n, c, h, w] to output [n, k, outH, outW] with a kh x kw kernel.</summary>
    internal Conv2dGeometry Geometry(int n, int c, int h, int w, int k, int kh, int kw, int outH, int outW) =>
        new(n, c, h, w, k, kh, kw, outH, outW, StrideH, StrideW, PadTop, PadLeft, DilationH, DilationW, Groups);

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
