using System.Collections.Immutable;

namespace Cnn.Autodiff;

/// <summary>
/// One immutable line of the tape: the op that produced value <c>%Index</c> from the values at
/// <see cref="Inputs"/>, with the settings it used. Inputs of -1 are constants.
/// </summary>
public sealed record TapeEntry(int Index, string Op, ImmutableArray<int> Inputs, Shape OutputShape, DType DType, string Settings)
{
    /// <summary>The input Vars (primal values) the pullback reads; empty for inputs.</summary>
    internal ImmutableArray<Var> InputVars { get; init; } = ImmutableArray<Var>.Empty;

    /// <summary>The output Var; set once, when the entry is appended.</summary>
    internal Var? Output { get; set; }

    /// <summary>The vector-Jacobian product; null for an input of the differentiation.</summary>
    internal Pullback? Pullback { get; init; }

    /// <summary>One line, as a jaxpr would print it: <c>%5 = conv2d(%3, %4) stride=1 : f32[8, 4, 6, 6]</c>.</summary>
    public override string ToString()
    {
        var args = Pullback is null ? "" : "(" + string.Join(", ", Inputs.Select(i => i < 0 ? "const" : "%" + i)) + ")";
        var settings = Settings.Length > 0 ? " " + Settings : "";
        return $"%{Index} = {Op}{args}{settings} : {DType.ShortName()}{OutputShape}";
    }
}
