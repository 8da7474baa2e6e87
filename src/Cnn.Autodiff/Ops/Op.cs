namespace Cnn.Autodiff;

/// <summary>
/// The differentiable primitives and their compositions. Each primitive lives in its own file with its
/// forward, its pullback and its entry point side by side. Every op accepts constants and recorded
/// Vars alike: it computes its value, and records an entry only when an input is being recorded.
/// </summary>
public static partial class Op
{
    /// <summary>
    /// Records (when an input is recorded) that <paramref name="y"/> was produced by <paramref name="op"/>
    /// from <paramref name="xs"/>, with <paramref name="pullback"/> as its vector-Jacobian product.
    /// </summary>
    internal static Var Record(string op, Tensor y, Pullback pullback, string settings, params Var[] xs)
    {
        Tape? tape = null;
        foreach (var x in xs)
        {
            if (x.Tape is null || x.Tape == tape) continue;
            if (tape is not null)
                throw new InvalidOperationException($"{op} got inputs recorded on two different tapes: a value from one differentiation was used inside another. Pass it to the inner differentiation as an argument instead of capturing it.");
            tape = x.Tape;
        }
        return tape is null ? new Var(y) : tape.Record(op, xs, y, pullback, settings);
    }

    /// <summary>
    /// Defines a new primitive from a user's forward and pullback, usable exactly like the built-in
    /// ones (as jax.custom_vjp or torch.autograd.Function). <paramref name="forward"/> maps the input
    /// values to the output value; <paramref name="pullback"/> maps the output cotangent to one
    /// cotangent per input (see <see cref="Pullback"/> for the rules that keep it twice differentiable).
    /// </summary>
    /// <param name="name">Shown in traces and error messages.</param>
    public static Var Custom(string name, IReadOnlyList<Var> inputs, Func<IReadOnlyList<Tensor>, Tensor> forward, Pullback pullback, string settings = "")
    {
        var values = new Tensor[inputs.Count];
        for (int i = 0; i < values.Length; i++) values[i] = inputs[i].Value;
        var y = forward(values) ?? throw new InvalidOperationException($"The forward of custom op {name} returned null.");
        return Record(name, y, pullback, settings, inputs.ToArray());
    }

    /// <summary>The same value, cut off from differentiation: no cotangent flows back through it.</summary>
    public static Var StopGradient(Var x) => x.IsRecorded ? new Var(x.Value) : x;
}
