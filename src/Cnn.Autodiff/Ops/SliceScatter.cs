using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Zeros of <paramref name="shape"/> with x written at positions start, start+step, ... along
    /// <paramref name="axis"/>: the adjoint of <see cref="Slice"/> (and its pullback), as torch.slice_scatter
    /// into zeros. x matches <paramref name="shape"/> except along <paramref name="axis"/>, where it has the
    /// number of written positions.
    /// </summary>
    public static Var SliceScatter(Var x, Shape shape, int axis, int start, int step = 1)
    {
        if (x.Rank == 0 || x.Rank != shape.Rank)
            throw new ArgumentException($"SliceScatter expects x of the same rank (at least 1) as the target {shape} but got {x.Shape}.", nameof(x));
        if (step < 1) throw new ArgumentException($"SliceScatter expects a step of at least 1 but got {step}.", nameof(step));
        int a = CheckAxis("SliceScatter", x.Shape, axis), n = shape.Dims[a], count = x.Shape.Dims[a];
        for (int k = 0; k < shape.Rank; k++)
            if (k != a && x.Shape.Dims[k] != shape.Dims[k])
                throw new ArgumentException($"SliceScatter along axis {a} expects x to match the target {shape} except along that axis, but got {x.Shape}.", nameof(x));
        if (start < 0 || (count > 0 && start + (long)(count - 1) * step >= n))
            throw new ArgumentException($"SliceScatter cannot place {count} elements at {start}, {start}+{step}, ... into axis {a} of size {n} of {shape}: the positions must lie in 0..{n - 1}.", nameof(start));
        if (count == n && step == 1) return x;
        var y = x.DType == DType.Float32 ? SliceScatterValues<float>(x.Value, a, start, step, shape) : SliceScatterValues<double>(x.Value, a, start, step, shape);
        return Record("slice_scatter", y, SliceScatterPullback(a, start, step), $"axis={a} start={start} step={step} shape={shape}", x);
    }

    private static Tensor SliceScatterValues<T>(Tensor x, int axis, int start, int step, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, inner) = OuterInner(shape, axis);
        var d = Buffers.Zeroed<T>(shape.Size);
        int count = x.Shape.Dims[axis];
        ShapeKernels.AxisCopy(x.Span<T>(), count, 0, 1, d, shape.Dims[axis], start, step, outer, inner, count);
        return Tensor.Own(d, shape);
    }

    // gx = the slice of g that x was written to
    private static Pullback SliceScatterPullback(int axis, int start, int step) => (g, xs, _) =>
        [Slice(g, axis, start, Math.Min(start + xs[0].Shape.Dims[axis] * step, g.Shape.Dims[axis]), step)];
}
