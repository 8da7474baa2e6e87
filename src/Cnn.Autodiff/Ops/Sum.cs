namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The sum over <paramref name="axes"/> (all axes when null or empty), keeping reduced axes as size 1
    /// when <paramref name="keepDims"/>. A composition of <see cref="SumTo"/> and <see cref="Reshape"/>.
    /// </summary>
    public static Var Sum(Var x, int[]? axes = null, bool keepDims = false)
    {
        var kept = ReducedShape("Sum", x.Shape, axes, keepDims: true);
        var summed = SumTo(x, kept);
        return keepDims ? summed : Reshape(summed, ReducedShape("Sum", x.Shape, axes, keepDims: false).ToArray());
    }

    /// <summary>The mean over <paramref name="axes"/> (all axes when null or empty); see <see cref="Sum"/>.</summary>
    public static Var Mean(Var x, int[]? axes = null, bool keepDims = false)
    {
        int count = x.Shape.Size / Math.Max(1, ReducedShape("Mean", x.Shape, axes, keepDims: true).Size);
        return Sum(x, axes, keepDims) * (1.0 / count);
    }

    /// <summary>The shape left after reducing <paramref name="axes"/> (all when null or empty).</summary>
    internal static Shape ReducedShape(string op, Shape s, int[]? axes, bool keepDims)
    {
        var reduce = new bool[s.Rank];
        if (axes is null || axes.Length == 0) Array.Fill(reduce, true);
        else foreach (var a in axes) reduce[CheckAxis(op, s, a)] = true;
        var dims = new List<int>(s.Rank);
        for (int i = 0; i < s.Rank; i++)
            if (!reduce[i]) dims.Add(s.Dims[i]);
            else if (keepDims) dims.Add(1);
        return Shape.Create(dims.ToArray());
    }
}
