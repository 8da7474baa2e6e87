using System.Globalization;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

/// <summary>How <see cref="Op.Pad"/> fills the border, as the modes of torch.nn.functional.pad.</summary>
public enum PadMode
{
    /// <summary>A constant value (0 unless given): torch's "constant".</summary>
    Zeros,

    /// <summary>Mirrored about the edge element, which is not repeated: [1, 2, 3] padded by 2 reads 3, 2, [1, 2, 3], 2, 1.</summary>
    Reflect,

    /// <summary>The edge element repeated: 1, 1, [1, 2, 3], 3, 3.</summary>
    Replicate,

    /// <summary>Wrapped around: 2, 3, [1, 2, 3], 1, 2.</summary>
    Circular,
}

public static partial class Op
{
    /// <summary>
    /// x padded as torch.nn.functional.pad: <paramref name="pads"/> lists (before, after) pairs starting from
    /// the LAST axis, <c>[left, right, top, bottom, ...]</c>, for up to every axis; axes not listed are not
    /// padded. Each output element reads one input element (chosen by <paramref name="mode"/>) or, for
    /// <see cref="PadMode.Zeros"/>, the constant <paramref name="value"/>. Axis sizes grow by before + after.
    /// </summary>
    /// <remarks>
    /// Negative pads crop, as in PyTorch, and are allowed for <see cref="PadMode.Zeros"/> only.
    /// Reflect needs each pad &lt; the axis size and Circular each pad &lt;= the axis size (PyTorch's rules).
    /// The gradient sums the cotangent of every output element into the input element it read, so border
    /// copies (reflect, replicate, circular) accumulate into their sources.
    /// </remarks>
    /// <param name="pads">Even length, at most 2 * rank: [last-axis before, last-axis after, next-to-last before, ...].</param>
    public static Var Pad(Var x, int[] pads, PadMode mode = PadMode.Zeros, double value = 0)
    {
        var map = PadMap(x.Shape, pads, mode);
        var settings = $"pads=[{string.Join(", ", pads)}] mode={mode}" + (mode == PadMode.Zeros ? " value=" + value.ToString("R", CultureInfo.InvariantCulture) : "");
        return Gather(x, map, value, "pad", settings);
    }

    private static IndexMap PadMap(Shape shape, int[] pads, PadMode mode)
    {
        if (pads.Length % 2 != 0 || pads.Length > 2 * shape.Rank)
            throw new ArgumentException($"Pad expects an even number of pads, at most 2 per axis (2 * {shape.Rank} for {shape}), as [left, right, top, bottom, ...], but got [{string.Join(", ", pads)}].", nameof(pads));
        if (!Enum.IsDefined(mode))
            throw new ArgumentException($"Pad got an unknown mode {(int)mode}; use one of Zeros, Reflect, Replicate, Circular.", nameof(mode));
        var sources = new int[shape.Rank][];
        for (int a = 0; a < shape.Rank; a++)
        {
            int k = shape.Rank - 1 - a, n = shape.Dims[a];
            int before = 2 * k < pads.Length ? pads[2 * k] : 0, after = 2 * k + 1 < pads.Length ? pads[2 * k + 1] : 0;
            CheckPad(shape, a, before, after, mode);
            var src = new int[n + before + after];
            for (int o = 0; o < src.Length; o++) src[o] = PadSource(o - before, n, mode);
            sources[a] = src;
        }
        return IndexMap.FromAxes(shape, sources);
    }

    private static void CheckPad(Shape shape, int axis, int before, int after, PadMode mode)
    {
        int n = shape.Dims[axis];
        if ((before < 0 || after < 0) && mode != PadMode.Zeros)
            throw new ArgumentException($"Pad with mode {mode} got negative pads ({before}, {after}) for axis {axis} of {shape}; negative pads (cropping) are supported in Zeros mode only: crop with Slice first.");
        if (n + before + after < 0)
            throw new ArgumentException($"Pad got pads ({before}, {after}) for axis {axis} of size {n} of {shape}: cropping would leave {n + before + after} elements.");
        int most = Math.Max(before, after);
        if (mode == PadMode.Reflect && most >= n && most > 0)
            throw new ArgumentException($"Pad with mode Reflect needs each pad smaller than the axis size, but axis {axis} of {shape} has size {n} and the pads are ({before}, {after}); use Replicate or Zeros, or smaller pads.");
        if (mode == PadMode.Circular && most > n)
            throw new ArgumentException($"Pad with mode Circular needs each pad at most the axis size, but axis {axis} of {shape} has size {n} and the pads are ({before}, {after}).");
        if (mode == PadMode.Replicate && most > 0 && n == 0)
            throw new ArgumentException($"Pad with mode Replicate cannot pad axis {axis} of {shape}: it is empty, so there is no edge to repeat.");
    }

    // The input coordinate that output coordinate s (relative to the input's start) reads, or -1 for the constant.
    private static int PadSource(int s, int n, PadMode mode) =>
        s >= 0 && s < n ? s
        : mode switch
        {
            PadMode.Reflect => s < 0 ? -s : 2 * (n - 1) - s,
            PadMode.Replicate => s < 0 ? 0 : n - 1,
            PadMode.Circular => ((s % n) + n) % n,
            _ => -1,
        };
}
