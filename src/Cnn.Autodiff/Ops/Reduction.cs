namespace Cnn.Autodiff;

/// <summary>How a loss combines its per-element values, as PyTorch's <c>reduction</c> argument.</summary>
public enum Reduction
{
    /// <summary>The mean over all per-element losses (a scalar).</summary>
    Mean,

    /// <summary>The sum over all per-element losses (a scalar).</summary>
    Sum,

    /// <summary>The per-element losses themselves.</summary>
    None,
}
