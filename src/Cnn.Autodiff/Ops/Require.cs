namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Throws unless <paramref name="s"/> has rank 4, naming the op, the argument's role and its layout, and for
    /// an input missing axes how to add them.
    /// </summary>
    /// <param name="role">The argument, e.g. "input" or "weight".</param>
    /// <param name="layout">Its expected layout, e.g. "[N, C, H, W]".</param>
    internal static void RequireRank4(string op, string role, string layout, Shape s)
    {
        if (s.Rank == 4) return;
        string hint = (role, s.Rank) switch
        {
            ("input", 3) => ": add a batch axis, e.g. Op.Reshape(x, 1, C, H, W).",
            ("input", 2) => ": add batch and channel axes, e.g. a single image [H, W] to [1, 1, H, W] with Op.Reshape(x, 1, 1, H, W).",
            _ => ".",
        };
        throw new ArgumentException($"{op} expects {role} {layout} but got {s} (rank {s.Rank}){hint}");
    }
}
