using System.Collections.Immutable;

namespace Cnn.Autodiff;

/// <summary>
/// Reverse-mode differentiation as functions that return values: <c>Grad</c>, <c>ValueAndGrad</c>,
/// <c>Vjp</c>. Gradients come back in the shape of the inputs (a tensor, several, or a parameter tree).
/// </summary>
/// <remarks>
/// Called on constants, a differentiation records on a fresh tape and returns constants: the backward
/// pass computes plain numbers. Called on Vars that are themselves being recorded (inside another
/// differentiation), it records its backward pass on the same tape, so the gradient it returns is
/// differentiable again (gradients of gradients, Hessian-vector products), as PyTorch's
/// <c>create_graph=True</c>. Each call introduces fresh inputs, so values that a function captures from
/// an enclosing differentiation are treated as constants by the inner one.
/// </remarks>
public static class Diff
{
    /// <summary>The value of scalar-valued <paramref name="f"/> at <paramref name="x"/> and its gradient (shape of x).</summary>
    public static (Var Value, Var Grad) ValueAndGrad(Func<Var, Var> f, Var x, DiffOptions? options = null)
    {
        var (y, gs) = Run(xs => f(xs[0]), [x], options);
        return (y, gs[0]);
    }

    /// <summary>The gradient function of scalar-valued <paramref name="f"/>.</summary>
    public static Func<Var, Var> Grad(Func<Var, Var> f) => x => ValueAndGrad(f, x).Grad;

    /// <summary>The value of scalar-valued <paramref name="f"/> and its gradients with respect to every input.</summary>
    public static (Var Value, ImmutableArray<Var> Grads) ValueAndGrad(Func<IReadOnlyList<Var>, Var> f, params Var[] xs) =>
        ValueAndGrad(f, xs, DiffOptions.Default);

    /// <summary>As <see cref="ValueAndGrad(Func{IReadOnlyList{Var}, Var}, Var[])"/>, with explicit options.</summary>
    public static (Var Value, ImmutableArray<Var> Grads) ValueAndGrad(Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Var> xs, DiffOptions options)
    {
        var (y, gs) = Run(f, xs.ToArray(), options);
        return (y, gs.ToImmutableArray());
    }

    /// <summary>The value of scalar-valued <paramref name="f"/> and its gradient as a tree of the same paths as <paramref name="p"/>.</summary>
    public static (Var Value, ParamTree<Var> Grads) ValueAndGrad(Func<ParamTree<Var>, Var> f, ParamTree<Var> p, DiffOptions? options = null)
    {
        var paths = p.Paths.ToArray();
        var (y, gs) = Run(xs => f(ParamTree.FromPairs(paths.Select((k, i) => KeyValuePair.Create(k, xs[i])))), p.Values.ToArray(), options);
        return (y, ParamTree.FromPairs(paths.Select((k, i) => KeyValuePair.Create(k, gs[i]))));
    }

    /// <summary>The value of scalar-valued <paramref name="f"/> and its gradient, for a tree of tensors.</summary>
    public static (Tensor Value, ParamTree<Tensor> Grads) ValueAndGrad(Func<ParamTree<Var>, Var> f, ParamTree<Tensor> p, DiffOptions? options = null)
    {
        var (y, g) = ValueAndGrad(f, p.Map(t => new Var(t)), options);
        return (y.Value, g.Map(v => v.Value));
    }

    /// <summary>
    /// The value of <paramref name="f"/> (any output shape) and its pullback: a function from an output
    /// cotangent to one cotangent per input. The pullback may be called any number of times.
    /// </summary>
    public static (Var Value, Func<Var, ImmutableArray<Var>> Pullback) Vjp(Func<IReadOnlyList<Var>, Var> f, params Var[] xs)
    {
        var rec = Record(f, xs, DiffOptions.Default);
        return (rec.Value, c => Backward(rec, c).ToImmutableArray());
    }

    /// <summary>The value of <paramref name="f"/> and its pullback, for a single input.</summary>
    public static (Var Value, Func<Var, Var> Pullback) Vjp(Func<Var, Var> f, Var x)
    {
        var (y, pb) = Vjp(xs => f(xs[0]), x);
        return (y, c => pb(c)[0]);
    }

    /// <summary>Records <paramref name="f"/> at <paramref name="xs"/> and returns the tape as an immutable listing.</summary>
    public static Trace Trace(Func<IReadOnlyList<Var>, Var> f, params Tensor[] xs)
    {
        var rec = Record(f, xs.Select(x => new Var(x)).ToArray(), DiffOptions.Default);
        return new Trace(rec.Tape.Entries, rec.Output.IsRecorded && rec.Output.Tape == rec.Tape ? rec.Output.Index : -1);
    }

    // Forward: the storages the function created while recorded with ReleaseIntermediates, else null.
    private sealed record Recording(Tape Tape, Var[] Inputs, Var Output, Var Value, bool CreateGraph, BufferScope? Forward);

    private static Recording Record(Func<IReadOnlyList<Var>, Var> f, Var[] xs, DiffOptions options)
    {
        Tape? outer = null;
        foreach (var x in xs)
        {
            if (x.Tape is null || x.Tape == outer) continue;
            if (outer is not null)
                throw new InvalidOperationException("Differentiation got inputs recorded on two different tapes; differentiate with respect to values from one differentiation at a time.");
            outer = x.Tape;
        }
        // NOTE: a nested differentiation records on the enclosing tape and so keeps the enclosing options.
        var tape = outer ?? new Tape(options);
        var inputs = new Var[xs.Length];
        for (int i = 0; i < xs.Length; i++)
            inputs[i] = xs[i].Tape == tape
                ? tape.Record("input", [xs[i]], xs[i].Value, InputPullback, "")
                : tape.Input(xs[i].Value, "input");
        bool createGraph = outer is not null;
        var forward = options.ReleaseIntermediates && !createGraph ? Buffers.Track() : null;
        Var y;
        try { y = f(inputs) ?? throw new InvalidOperationException("The differentiated function returned null."); }
        finally { forward?.Dispose(); }
        return new Recording(tape, inputs, y, createGraph ? y : new Var(y.Value), createGraph, forward);
    }

    private static readonly Pullback InputPullback = (g, _, _) => [g];

    // The bookkeeping that recycles the backward pass's dead arrays, and the forward values' when the function
    // was recorded with ReleaseIntermediates (never for Vjp, whose pullback may run again); none when the backward
    // pass is itself recorded.
    private static BufferLedger? Ledger(Recording rec)
    {
        if (rec.CreateGraph) return null;
        var ledger = new BufferLedger(rec.Forward is not null);
        if (ledger.ReleaseForward)
        {
            ledger.Own(rec.Forward!);
            ledger.Pin(rec.Value.Value);
        }
        return ledger;
    }

    private static Var[] Backward(Recording rec, Var? seed)
    {
        var y = rec.Output;
        if (seed is null)
        {
            if (y.Shape.Size != 1)
                throw new InvalidOperationException($"Grad needs a scalar output but the function returned {y.Shape}; reduce it (e.g. Op.Mean) or use Diff.Vjp with a cotangent of that shape.");
            seed = Tensor.Ones(y.Shape, y.DType);
        }
        else if (seed.Shape != y.Shape)
            throw new ArgumentException($"The cotangent has shape {seed.Shape} but the output has shape {y.Shape}; they must match.");
        else if (seed.DType != y.DType)
            throw new ArgumentException($"The cotangent is {seed.DType.ShortName()} but the output is {y.DType.ShortName()}; they must match.");

        var grads = new Var[rec.Inputs.Length];
        Var?[]? ct = null;
        if (y.Tape == rec.Tape && y.Index >= rec.Inputs[0].Index)
            ct = rec.Tape.Backward(y, seed, rec.Inputs[0].Index, rec.CreateGraph, Ledger(rec));
        for (int i = 0; i < grads.Length; i++)
        {
            var x = rec.Inputs[i];
            grads[i] = ct?[x.Index] ?? new Var(Tensor.Zeros(x.Shape, x.DType));
            if (!rec.CreateGraph && grads[i].IsRecorded) grads[i] = new Var(grads[i].Value);
        }
        return grads;
    }

    private static (Var Value, Var[] Grads) Run(Func<IReadOnlyList<Var>, Var> f, Var[] xs, DiffOptions? options)
    {
        if (xs.Length == 0) throw new ArgumentException("Differentiation needs at least one input.");
        var rec = Record(f, xs, options ?? DiffOptions.Default);
        return (rec.Value, Backward(rec, seed: null));
    }
}
