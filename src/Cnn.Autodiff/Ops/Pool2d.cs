using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Validates the input and settings of a strided 2-D pooling named <paramref name="op"/> and returns
    /// its geometry: the input must be [N, C, H, W]; kernel, stride and dilation at least 1; padding
    /// between 0 and half the kernel (PyTorch's rule); and at least one window must fit the padded input.
    /// </summary>
    internal static Pool2dGeometry PoolGeometry(string op, Shape x, (int H, int W) kernel, (int H, int W) stride, (int H, int W) padding, (int H, int W) dilation)
    {
        RequireRank4(op, "input", "[N, C, H, W]", x);
        if (kernel.H < 1 || kernel.W < 1)
            throw new ArgumentException($"{op} needs a kernel size of at least 1 but got {Pair(kernel)}.");
        if (stride.H < 1 || stride.W < 1)
            throw new ArgumentException($"{op} needs a positive stride but got {Pair(stride)}: use 1 to visit every position, or leave the stride unset for the kernel size.");
        if (dilation.H < 1 || dilation.W < 1)
            throw new ArgumentException($"{op} needs a dilation of at least 1 but got {Pair(dilation)}: 1 means adjacent taps.");
        if (padding.H < 0 || padding.W < 0)
            throw new ArgumentException($"{op} needs non-negative padding but got {Pair(padding)}.");
        if (padding.H > kernel.H / 2 || padding.W > kernel.W / 2)
            throw new ArgumentException($"{op} got padding {Pair(padding)} with kernel {Pair(kernel)}: padding must be at most half the kernel size, here at most {Pair((kernel.H / 2, kernel.W / 2))}; use less padding or a larger kernel.");
        int h = x[2], w = x[3];
        int oh = Pool2dGeometry.OutputSize(h, kernel.H, stride.H, padding.H, dilation.H);
        int ow = Pool2dGeometry.OutputSize(w, kernel.W, stride.W, padding.W, dilation.W);
        if (oh < 1 || ow < 1)
        {
            var span = (dilation.H * (kernel.H - 1) + 1, dilation.W * (kernel.W - 1) + 1);
            throw new ArgumentException($"{op} kernel {Pair(kernel)} with dilation {Pair(dilation)} spans {Pair(span)}, larger than the padded input {Pair((h + 2 * padding.H, w + 2 * padding.W))} of {x}, so the output would be empty: use a smaller kernel or a larger input.");
        }
        return new Pool2dGeometry(x[0] * x[1], h, w, oh, ow, kernel.H, kernel.W, stride.H, stride.W, padding.H, padding.W, dilation.H, dilation.W);
    }

    /// <summary>Formats a per-axis setting as (h, w).</summary>
    internal static string Pair((int H, int W) v) => $"({v.H}, {v.W})";
}
