namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary><paramref name="axis"/> normalised to [0, rank) for shape <paramref name="s"/> (negative counts from the end), or an error naming <paramref name="op"/>.</summary>
    internal static int CheckAxis(string op, Shape s, int axis)
    {
        if (axis < -s.Rank || axis >= s.Rank)
            throw new ArgumentException($"{op} got axis {axis} for an input of shape {s} (rank {s.Rank}); the axis must lie in [{-s.Rank}, {s.Rank - 1}], where negative axes count from the end (-1 is the last).");
        return axis < 0 ? axis + s.Rank : axis;
    }
}
