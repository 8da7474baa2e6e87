namespace Cnn.Autodiff;

/// <summary>
/// What lets one backward pass recycle arrays. It knows the tensor storages the differentiation created
/// itself (noted by a <see cref="BufferScope"/>; never the caller's tensors) and counts, for each, the holders
/// the engine knows of: tape entries whose output it is, and cotangent slots. A storage whose count drops to
/// zero is released (every tensor on it then throws when read) and its array goes back to the pool;
/// so are the temporaries a pullback created and did not return.
/// </summary>
/// <remarks>
/// NOTE: this relies on the <see cref="Pullback"/> contract: a pullback keeps neither its cotangent nor
/// the tensors it creates once it has returned.
/// </remarks>
internal sealed class BufferLedger(bool releaseForward)
{
    private readonly HashSet<TensorStorage> _owned = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<TensorStorage, int> _holders = new(ReferenceEqualityComparer.Instance);

    /// <summary>Whether forward values are released once the backward pass no longer needs them.</summary>
    internal bool ReleaseForward { get; } = releaseForward;

    /// <summary>Takes ownership of the storages created in <paramref name="scope"/>.</summary>
    internal void Own(BufferScope scope)
    {
        foreach (var s in scope.Created) _owned.Add(s);
    }

    /// <summary>Never releases <paramref name="t"/>'s storage (it is returned to the caller).</summary>
    internal void Pin(Tensor t)
    {
        _owned.Remove(t.Storage);
        _holders.Remove(t.Storage);
    }

    /// <summary>Counts one more holder of <paramref name="t"/>'s storage.</summary>
    internal void Hold(Tensor t)
    {
        var s = t.Storage;
        if (_owned.Contains(s)) _holders[s] = _holders.GetValueOrDefault(s) + 1;
    }

    /// <summary>Counts one holder less; releases the storage when it was the last.</summary>
    internal void Drop(Tensor t)
    {
        var s = t.Storage;
        if (!_holders.TryGetValue(s, out int n)) return;
        if (n > 1)
        {
            _holders[s] = n - 1;
            return;
        }
        _holders.Remove(s);
        Free(s);
    }

    /// <summary>Releases the storages created in <paramref name="scope"/> that nothing holds.</summary>
    internal void FreeUnheld(BufferScope scope)
    {
        foreach (var s in scope.Created)
            if (_owned.Contains(s) && !_holders.ContainsKey(s)) Free(s);
    }

    private void Free(TensorStorage s)
    {
        _owned.Remove(s);
        Buffers.Recycle(s.Release(Because));
    }

    private const string Because =
        "an intermediate value of a differentiation run with DiffOptions.ReleaseIntermediates, and its memory " +
        "has been reused. Keep a copy (Tensor.Copy) inside the differentiated function, or differentiate without ReleaseIntermediates.";
}
