namespace Cnn.Autodiff;

/// <summary>
/// The vector-Jacobian product of one primitive: given the cotangent <paramref name="g"/> of the
/// output <paramref name="y"/> and the inputs <paramref name="xs"/>, returns one cotangent per input
/// (null where an input gets none, e.g. integer-like indices).
/// </summary>
/// <remarks>
/// Write it with differentiable ops on the Vars it is given, and take primal values only from
/// <paramref name="xs"/> and <paramref name="y"/> (never from captured Vars): the engine passes
/// constants when it only needs numbers, and recorded Vars when the gradient must itself be
/// differentiable (gradients of gradients). Captured <see cref="Tensor"/>s (masks, indices) are fine.
/// </remarks>
public delegate Var?[] Pullback(Var g, IReadOnlyList<Var> xs, Var y);
