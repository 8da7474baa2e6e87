namespace Cnn.Autodiff;

/// <summary>
/// Recycles the memory of the tensors created inside it: when the scope ends, every large tensor
/// (at least 16K elements) that ops created on this thread since it began, and that was not passed to
/// <see cref="Keep(Tensor)"/>, is released and its array reused by later ops. Reading a released tensor
/// throws <see cref="InvalidOperationException"/>; nothing reads reused memory.
/// </summary>
/// <example>
/// <code>
/// for (int step = 0; step &lt; steps; step++)
/// {
///     using var scope = TensorScope.Begin();
///     var (value, grads) = Diff.ValueAndGrad(lossOf, parameters);
///     (parameters, state) = sgd.Step(parameters, grads, state);
///     scope.Keep(parameters);
///     scope.Keep(state.Flatten());
/// }
/// </code>
/// </example>
/// <remarks>
/// NOTE: tensors are immutable values that anything may share, so the library can only recycle what a
/// differentiation proves dead (<see cref="DiffOptions.ReleaseIntermediates"/>). Outputs handed back to
/// the caller would otherwise be fresh arrays every time, and on first touch a fresh large array costs
/// page faults comparable to the arithmetic of a layer. The scope is the caller's statement of which
/// outputs die, the counterpart of PyTorch freeing a tensor when its last reference goes.
/// Tensors the caller created from its own arrays, and tensors created before the scope began, are
/// never released. Scopes nest: what an inner scope keeps belongs to the next scope out, which
/// releases it when it ends unless it is kept there too. A scope belongs to the thread that began it,
/// and scopes end in the reverse order they began.
/// </remarks>
public sealed class TensorScope : IDisposable
{
    private readonly BufferScope _buffers = Buffers.Track(user: true);
    private readonly HashSet<TensorStorage> _kept = new(ReferenceEqualityComparer.Instance);
    private bool _ended;

    private TensorScope() { }

    /// <summary>Begins a scope on this thread; end it with <see cref="Dispose"/> (a <c>using</c> statement).</summary>
    public static TensorScope Begin() => new();

    /// <summary>Keeps <paramref name="tensor"/> (and every view of its elements) past the end of this scope.</summary>
    public Tensor Keep(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (_ended) throw new InvalidOperationException("TensorScope.Keep: the scope has already ended; keep tensors before it ends.");
        _kept.Add(tensor.Storage);
        return tensor;
    }

    /// <summary>Keeps the value of <paramref name="v"/> past the end of this scope.</summary>
    public Var Keep(Var v)
    {
        ArgumentNullException.ThrowIfNull(v);
        Keep(v.Value);
        return v;
    }

    /// <summary>Keeps every tensor of <paramref name="tensors"/> past the end of this scope.</summary>
    public void Keep(IEnumerable<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var t in tensors) Keep(t);
    }

    /// <summary>Keeps every tensor of <paramref name="tree"/> (e.g. new parameters) past the end of this scope.</summary>
    public ParamTree<Tensor> Keep(ParamTree<Tensor> tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        Keep(tree.Values);
        return tree;
    }

    /// <summary>Ends the scope: releases the tensors created in it that were not kept. Ending it again does nothing.</summary>
    public void Dispose()
    {
        if (_ended) return;
        if (Buffers.Current != _buffers)
            throw new InvalidOperationException(
                "TensorScope: scopes must end on the thread that began them, in the reverse order they began (an inner scope is still open, or this is another thread).");
        _ended = true;
        _buffers.Dispose();
        var outer = _buffers.Outer?.User;
        foreach (var s in _buffers.Created)
        {
            if (s.Data is null) continue;
            if (_kept.Contains(s)) outer?.Created.Add(s);
            else Buffers.Recycle(s.Release(Because));
        }
    }

    private const string Because =
        "created inside a TensorScope that ended without keeping it, and its memory has been reused. " +
        "Pass it to TensorScope.Keep before the scope ends.";
}
