namespace Cnn.Autodiff;

/// <summary>
/// The arrays kernels write their outputs into: taken from a process-wide pool of released arrays of the
/// same type and length when one is free, else fresh from the GC.
/// </summary>
/// <remarks>
/// NOTE: a training step allocates the same large arrays (activations and their cotangents) every step.
/// Fresh large arrays cost page faults on first touch, so reusing them is much cheaper. An array returns to
/// the pool only when a differentiation proves it dead (<see cref="BufferLedger"/>): tensors are
/// immutable and shared freely, so nothing else may recycle one. Arrays shorter than
/// <see cref="MinPooled"/> elements always come from the GC, where small short-lived arrays are cheap.
/// </remarks>
internal static class Buffers
{
    /// <summary>Arrays of at least this many elements are pooled (64 KiB of float32).</summary>
    internal const int MinPooled = 16 * 1024;

    // The pool never holds more than this many bytes. When a released array would exceed it, the arrays of the
    // lengths used least recently are left to the GC first (a run that changes batch size stops keeping the old ones).
    private static readonly long MaxPooledBytes =
        Math.Min(1L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 16);

    private static readonly Dictionary<(Type, int), SizeClass> Free = new();
    private static long _pooledBytes, _clock;

    // The free arrays of one element type and length, and when one was last taken or returned.
    private sealed class SizeClass
    {
        public readonly Stack<Array> Arrays = new();
        public long LastUse;
    }

    [ThreadStatic] private static BufferScope? _scope;

    /// <summary>An array of exactly <paramref name="length"/> elements whose contents are undefined: the caller writes every element.</summary>
    internal static T[] Uninitialized<T>(int length) where T : unmanaged =>
        Take<T>(length) ?? Note(GC.AllocateUninitializedArray<T>(length));

    /// <summary>An array of exactly <paramref name="length"/> zeros.</summary>
    internal static T[] Zeroed<T>(int length) where T : unmanaged
    {
        var a = Take<T>(length);
        if (a is null) return Note(new T[length]);
        Array.Clear(a);
        return a;
    }

    /// <summary>Returns an array nobody references any more to the pool (or to the GC when the pool is full).</summary>
    internal static void Recycle(Array array)
    {
        if (array.Length < MinPooled) return;
        long bytes = Bytes(array);
        lock (Free)
        {
            var key = (array.GetType(), array.Length);
            if (!Free.TryGetValue(key, out var size)) Free[key] = size = new SizeClass();
            size.LastUse = ++_clock;
            while (_pooledBytes + bytes > MaxPooledBytes && EvictLeastRecent(size)) { }
            if (_pooledBytes + bytes > MaxPooledBytes) return;
            size.Arrays.Push(array);
            _pooledBytes += bytes;
        }
    }

    // Drops every free array of the least recently used length other than `keep`; false when there is none.
    private static bool EvictLeastRecent(SizeClass keep)
    {
        SizeClass? oldest = null;
        foreach (var size in Free.Values)
            if (size != keep && size.Arrays.Count > 0 && (oldest is null || size.LastUse < oldest.LastUse)) oldest = size;
        if (oldest is null) return false;
        while (oldest.Arrays.Count > 0) _pooledBytes -= Bytes(oldest.Arrays.Pop());
        return true;
    }

    private static long Bytes(Array array) => (long)array.Length * (array is float[] ? sizeof(float) : sizeof(double));

    /// <summary>Bytes currently held by the pool.</summary>
    internal static long PooledBytes
    {
        get { lock (Free) return _pooledBytes; }
    }

    /// <summary>
    /// Starts noting, on this thread, the pooled-size tensors that kernels create, until the scope is disposed.
    /// Scopes nest: the innermost one notes, and so does the innermost scope of a <see cref="TensorScope"/>
    /// around it (<paramref name="user"/> marks that one).
    /// </summary>
    internal static BufferScope Track(bool user = false) => _scope = new BufferScope(_scope, user);

    /// <summary>The innermost active scope on this thread, or null.</summary>
    internal static BufferScope? Current => _scope;

    internal static void EndScope(BufferScope scope) => _scope = scope.Outer;

    /// <summary>Notes a tensor's storage in the active scopes when its array came from <see cref="Uninitialized{T}"/> or <see cref="Zeroed{T}"/>.</summary>
    internal static void Adopt(TensorStorage storage)
    {
        if (_scope is not { } s || !s.Rented.Remove(storage.Data!)) return;
        s.Created.Add(storage);
        if (s.User is { } u && u != s) u.Created.Add(storage);
    }

    private static T[]? Take<T>(int length) where T : unmanaged
    {
        if (length < MinPooled) return null;
        T[]? a = null;
        lock (Free)
        {
            if (Free.TryGetValue((typeof(T[]), length), out var size) && size.Arrays.Count > 0)
            {
                a = (T[])size.Arrays.Pop();
                size.LastUse = ++_clock;
                _pooledBytes -= Bytes(a);
            }
        }
        return a is null ? null : Note(a);
    }

    private static T[] Note<T>(T[] a)
    {
        if (a.Length >= MinPooled) _scope?.Rented.Add(a);
        return a;
    }
}

/// <summary>The pooled-size tensor storages created on one thread while the scope was active.</summary>
internal sealed class BufferScope(BufferScope? outer, bool user) : IDisposable
{
    internal BufferScope? Outer { get; } = outer;

    /// <summary>The innermost scope of a <see cref="TensorScope"/> that encloses this one (this one included), or null.</summary>
    internal BufferScope? User => user ? this : _enclosingUser;

    private readonly BufferScope? _enclosingUser = outer?.User;

    /// <summary>Arrays handed out but not yet wrapped in a tensor.</summary>
    internal HashSet<Array> Rented { get; } = new(ReferenceEqualityComparer.Instance);

    /// <summary>Storages of the tensors made from those arrays, in creation order.</summary>
    internal List<TensorStorage> Created { get; } = new();

    public void Dispose() => Buffers.EndScope(this);
}
