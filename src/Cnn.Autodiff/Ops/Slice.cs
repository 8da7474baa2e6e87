using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The elements start, start+step, ... (before <paramref name="end"/>) along <paramref name="axis"/>, as
    /// the Python slice <c>x[..., start:end:step, ...]</c>: negative start/end count from the end and both are
    /// clamped to [0, size]; an empty range gives size 0.
    /// </summary>
    /// <param name="step">At least 1 (negative steps are not supported, as in PyTorch).</param>
    public static Var Slice(Var x, int axis, int start, int end, int step = 1)
    {
        if (x.Rank == 0) throw new ArgumentException("Slice expects a tensor of rank at least 1 but got a scalar.", nameof(x));
        if (step < 1) throw new ArgumentException($"Slice expects a step of at least 1 but got {step}: negative and zero steps are not supported, as in PyTorch.", nameof(step));
        int a = CheckAxis("Slice", x.Shape, axis), n = x.Shape.Dims[a];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        int count = e > s ? (e - s + step - 1) / step : 0;
        if (s == 0 && count == n && step == 1) return x;
        var shape = x.Shape.With(a, count);
        var y = x.DType == DType.Float32 ? SliceValues<float>(x.Value, a, s, step, shape) : SliceValues<double>(x.Value, a, s, step, shape);
        return Record("slice", y, SlicePullback(a, s, step), $"axis={a} start={s} count={count} step={step}", x);
    }

    private static Tensor SliceValues<T>(Tensor x, int axis, int start, int step, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, inner) = OuterInner(shape, axis);
        var d = Buffers.Uninitialized<T>(shape.Size);
        ShapeKernels.AxisCopy(x.Span<T>(), x.Shape.Dims[axis], start, step, d, shape.Dims[axis], 0, 1, outer, inner, shape.Dims[axis]);
        return Tensor.Own(d, shape);
    }

    // gx = g scattered back into zeros of x's shape
    private static Pullback SlicePullback(int axis, int start, int step) => (g, xs, _) => [SliceScatter(g, xs[0].Shape, axis, start, step)];
}
