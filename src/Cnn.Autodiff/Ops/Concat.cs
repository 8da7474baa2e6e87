using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The inputs joined along <paramref name="axis"/>, as torch.cat: all inputs have the same rank, element
    /// type and dimensions except along <paramref name="axis"/>, where the output size is the sum.
    /// </summary>
    public static Var Concat(IReadOnlyList<Var> xs, int axis)
    {
        if (xs.Count == 0) throw new ArgumentException("Concat expects at least one input but got none.", nameof(xs));
        var first = xs[0];
        if (first.Rank == 0)
            throw new ArgumentException($"Concat expects inputs of rank at least 1 but got a scalar; reshape the inputs to [1].", nameof(xs));
        int a = CheckAxis("Concat", first.Shape, axis);
        var sizes = new int[xs.Count];
        int total = 0;
        for (int i = 0; i < xs.Count; i++)
        {
            var s = xs[i].Shape;
            Tensor.RequireSameDType("Concat", first.Value, xs[i].Value);
            bool match = s.Rank == first.Rank;
            for (int k = 0; match && k < s.Rank; k++) match = k == a || s.Dims[k] == first.Shape.Dims[k];
            if (!match)
                throw new ArgumentException($"Concat along axis {a} expects every input to match {first.Shape} except along that axis, but input {i} is {s}.", nameof(xs));
            sizes[i] = s.Dims[a];
            total += sizes[i];
        }
        if (xs.Count == 1) return first;
        var shape = first.Shape.With(a, total);
        var y = first.DType == DType.Float32 ? ConcatValues<float>(xs, a, sizes, shape) : ConcatValues<double>(xs, a, sizes, shape);
        return Record("concat", y, ConcatPullback(a, sizes), $"axis={a}", xs.ToArray());
    }

    private static Tensor ConcatValues<T>(IReadOnlyList<Var> xs, int axis, int[] sizes, Shape shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (outer, inner) = OuterInner(shape, axis);
        var d = Buffers.Uninitialized<T>(shape.Size);
        for (int i = 0, offset = 0; i < xs.Count; offset += sizes[i], i++)
            ShapeKernels.AxisCopy(xs[i].Value.Span<T>(), sizes[i], 0, 1, d, shape.Dims[axis], offset, 1, outer, inner, sizes[i]);
        return Tensor.Own(d, shape);
    }

    // gx_i = the slice of g that input i filled
    private static Pullback ConcatPullback(int axis, int[] sizes) => (g, _, _) =>
    {
        var gxs = new Var?[sizes.Length];
        for (int i = 0, offset = 0; i < sizes.Length; offset += sizes[i], i++)
            gxs[i] = Slice(g, axis, offset, offset + sizes[i]);
        return gxs;
    };

    /// <summary>The products of the dimensions before and after <paramref name="axis"/>.</summary>
    private static (int Outer, int Inner) OuterInner(Shape shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int k = 0; k < axis; k++) outer *= shape.Dims[k];
        for (int k = axis + 1; k < shape.Rank; k++) inner *= shape.Dims[k];
        return (outer, inner);
    }
}
