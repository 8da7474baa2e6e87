namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>The same elements with another shape of equal size; one dimension may be -1 (inferred).</summary>
    public static Var Reshape(Var x, params int[] shape)
    {
        var target = InferShape("Reshape", x.Shape, shape);
        if (target == x.Shape) return x;
        return Record("reshape", x.Value.Reshape(target), ReshapePullback, $"shape={target}", x);
    }

    private static readonly Pullback ReshapePullback = (g, xs, _) => [Reshape(g, xs[0].Shape.ToArray())];

    private static Shape InferShape(string op, Shape from, int[] to)
    {
        var d = (int[])to.Clone();
        int infer = Array.IndexOf(d, -1), known = 1;
        for (int i = 0; i < d.Length; i++) if (i != infer) known *= d[i];
        if (infer >= 0)
        {
            if (known == 0 || from.Size % known != 0)
                throw new ArgumentException($"{op} cannot infer the -1 dimension of [{string.Join(", ", to)}] from {from.Size} elements ({from}).");
            d[infer] = from.Size / known;
        }
        var s = Shape.Create(d);
        if (s.Size != from.Size)
            throw new ArgumentException($"{op} cannot turn {from} ({from.Size} elements) into [{string.Join(", ", to)}] ({s.Size} elements): the sizes must match.");
        return s;
    }
}
