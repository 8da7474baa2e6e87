using System.Collections.Immutable;

namespace Cnn.Autodiff;

/// <summary>
/// An append-only list of immutable entries (a Wengert list) owned by one differentiation. Recording
/// order is topological, so the backward pass is a single reverse loop with no graph search and no
/// recursion. A tape is used by one thread: two differentiations never share one.
/// </summary>
public sealed class Tape
{
    private readonly List<TapeEntry> _entries = new();

    internal Tape(DiffOptions options) => Options = options;

    /// <summary>The settings of the differentiation that owns this tape.</summary>
    internal DiffOptions Options { get; }

    /// <summary>Number of entries recorded so far.</summary>
    public int Count => _entries.Count;

    internal TapeEntry this[int i] => _entries[i];

    /// <summary>An immutable snapshot of the entries recorded so far.</summary>
    public ImmutableArray<TapeEntry> Entries => _entries.ToImmutableArray();

    /// <summary>Records an input of the differentiation (a leaf with no pullback).</summary>
    internal Var Input(Tensor value, string name)
    {
        var entry = new TapeEntry(Count, name, ImmutableArray<int>.Empty, value.Shape, value.DType, "");
        return Append(entry, value);
    }

    /// <summary>Appends an op's entry and returns its recorded output.</summary>
    internal Var Record(string op, IReadOnlyList<Var> inputs, Tensor output, Pullback pullback, string settings)
    {
        var ids = ImmutableArray.CreateBuilder<int>(inputs.Count);
        foreach (var x in inputs) ids.Add(x.Tape == this ? x.Index : -1);
        var entry = new TapeEntry(Count, op, ids.MoveToImmutable(), output.Shape, output.DType, settings)
        {
            InputVars = inputs.ToImmutableArray(),
            Pullback = pullback,
        };
        if (Options.DetectAnomalies) AnomalyException.ThrowIfNotFinite(output, entry, AnomalyPhase.Forward);
        return Append(entry, output);
    }

    private Var Append(TapeEntry entry, Tensor value)
    {
        var v = new Var(value, this, entry.Index);
        entry.Output = v;
        _entries.Add(entry);
        return v;
    }

    /// <summary>
    /// The reverse sweep: seeds <paramref name="y"/> with <paramref name="seed"/> and runs every
    /// entry's pullback from the last down to <paramref name="stop"/> (exclusive), accumulating
    /// cotangents in a local array indexed by tape position. With <paramref name="createGraph"/> the
    /// pullbacks see the recorded Vars, so the cotangents they return are recorded too and can be
    /// differentiated again; without it they see constants and compute plain values, and, given a
    /// <paramref name="ledger"/> (null with <paramref name="createGraph"/>), the arrays of consumed cotangents and of the pullbacks' temporaries (and,
    /// when it says so, of forward values no longer needed) are recycled as soon as they are dead.
    /// </summary>
    internal Var?[] Backward(Var y, Var seed, int stop, bool createGraph, BufferLedger? ledger)
    {
        int end = Count;
        var ct = new Var?[end];
        ct[y.Index] = seed;
        if (ledger is not null)
        {
            if (ledger.ReleaseForward)
                for (int i = stop + 1; i < end; i++) ledger.Hold(_entries[i].Output!.Value);
            ledger.Hold(seed.Value);
        }
        for (int i = end - 1; i > stop; i--)
        {
            var g = ct[i];
            var e = _entries[i];
            if (g is not null && e.Pullback is not null)
            {
                if (!createGraph) ct[i] = null; // free the cotangent as soon as it is consumed
                if (ledger is null) Accumulate(ct, e, Pull(e, g, createGraph));
                else
                {
                    var scope = Buffers.Track();
                    List<Tensor> held, replaced;
                    try { (held, replaced) = Accumulate(ct, e, Pull(e, g, createGraph)); }
                    finally { scope.Dispose(); }
                    ledger.Own(scope);
                    foreach (var t in held) ledger.Hold(t);
                    foreach (var t in replaced) ledger.Drop(t);
                    ledger.Drop(g.Value);
                    ledger.FreeUnheld(scope);
                }
            }
            if (ledger is { ReleaseForward: true }) ledger.Drop(e.Output!.Value);
        }
        return ct;
    }

    // The entry's pullback at cotangent g: on the recorded Vars, or on constants.
    private static Var?[] Pull(TapeEntry e, Var g, bool createGraph)
    {
        var xs = createGraph ? (IReadOnlyList<Var>)e.InputVars : Constants(e.InputVars);
        var yv = createGraph ? e.Output! : new Var(e.Output!.Value);
        var gxs = e.Pullback!(createGraph ? g : Detach(g), xs, yv);
        if (gxs.Length != e.Inputs.Length)
            throw new InvalidOperationException($"The pullback of {e.Op} returned {gxs.Length} cotangents for {e.Inputs.Length} inputs.");
        return gxs;
    }

    // Adds each input's cotangent into its slot; returns the values now in slots and those they replaced.
    private (List<Tensor> Held, List<Tensor> Replaced) Accumulate(Var?[] ct, TapeEntry e, Var?[] gxs)
    {
        var held = new List<Tensor>(gxs.Length);
        var replaced = new List<Tensor>();
        for (int j = 0; j < gxs.Length; j++)
        {
            int k = e.Inputs[j];
            var gx = gxs[j];
            if (k < 0 || gx is null) continue;
            if (gx.Shape != e.InputVars[j].Shape)
                throw new InvalidOperationException($"The pullback of {e.Op} returned a cotangent of shape {gx.Shape} for input {j} of shape {e.InputVars[j].Shape}.");
            if (Options.DetectAnomalies) AnomalyException.ThrowIfNotFinite(gx.Value, e, AnomalyPhase.Backward, j);
            if (ct[k] is { } old) replaced.Add(old.Value);
            ct[k] = ct[k] is null ? gx : Op.Add(ct[k]!, gx);
            held.Add(ct[k]!.Value);
        }
        return (held, replaced);
    }

    private static Var Detach(Var v) => v.IsRecorded ? new Var(v.Value) : v;

    private static Var[] Constants(ImmutableArray<Var> xs)
    {
        var c = new Var[xs.Length];
        for (int i = 0; i < c.Length; i++) c[i] = Detach(xs[i]);
        return c;
    }
}
