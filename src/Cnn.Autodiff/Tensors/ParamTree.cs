using System.Collections;
using System.Collections.Immutable;

namespace Cnn.Autodiff;

/// <summary>
/// An immutable, ordered tree of named leaves addressed by dotted paths (<c>features.0.weight</c>, as
/// PyTorch's state_dict names them). Stored flat, in insertion order; subtrees are path prefixes.
/// Gradients of a function of a tree come back as a tree of the same shape.
/// </summary>
public sealed class ParamTree<T> : IReadOnlyList<KeyValuePair<string, T>>
{
    private readonly ImmutableArray<KeyValuePair<string, T>> _items;
    private readonly ImmutableDictionary<string, int> _index;

    internal ParamTree(ImmutableArray<KeyValuePair<string, T>> items)
    {
        var index = ImmutableDictionary.CreateBuilder<string, int>();
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i].Key.Length == 0)
                throw new ArgumentException("ParamTree paths must be non-empty.");
            if (!index.TryAdd(items[i].Key, i))
                throw new ArgumentException($"ParamTree has the path '{items[i].Key}' twice.");
        }
        _items = items;
        _index = index.ToImmutable();
    }

    /// <summary>The empty tree.</summary>
    public static ParamTree<T> Empty { get; } = new(ImmutableArray<KeyValuePair<string, T>>.Empty);

    /// <summary>The leaf at <paramref name="path"/>, or an error naming the path and what the tree holds.</summary>
    public T this[string path] =>
        _index.TryGetValue(path, out var i) ? _items[i].Value
        : throw new KeyNotFoundException($"ParamTree has no entry '{path}'; it has: {string.Join(", ", Paths.Take(12))}{(Count > 12 ? ", ..." : "")}.");

    public KeyValuePair<string, T> this[int index] => _items[index];

    /// <summary>Number of leaves.</summary>
    public int Count => _items.Length;

    /// <summary>The dotted paths, in order.</summary>
    public IEnumerable<string> Paths => _items.Select(kv => kv.Key);

    /// <summary>The leaves, in order.</summary>
    public IEnumerable<T> Values => _items.Select(kv => kv.Value);

    public bool Contains(string path) => _index.ContainsKey(path);

    /// <summary>The subtree under <paramref name="prefix"/> with the prefix removed from its paths.</summary>
    public ParamTree<T> Sub(string prefix)
    {
        var p = prefix + ".";
        return new(_items.Where(kv => kv.Key.StartsWith(p, StringComparison.Ordinal))
            .Select(kv => KeyValuePair.Create(kv.Key[p.Length..], kv.Value)).ToImmutableArray());
    }

    /// <summary>A tree of the same paths with <paramref name="f"/> applied to each leaf.</summary>
    public ParamTree<TOut> Map<TOut>(Func<T, TOut> f) => Map((_, v) => f(v));

    /// <summary>A tree of the same paths with <paramref name="f"/>(path, leaf) at each leaf.</summary>
    public ParamTree<TOut> Map<TOut>(Func<string, T, TOut> f) =>
        new(_items.Select(kv => KeyValuePair.Create(kv.Key, f(kv.Key, kv.Value))).ToImmutableArray());

    /// <summary>Combines two trees with the same paths leaf by leaf; a path missing from either is an error.</summary>
    public ParamTree<TOut> Zip<TOther, TOut>(ParamTree<TOther> other, Func<T, TOther, TOut> f)
    {
        if (other.Count != Count || !Paths.SequenceEqual(other.Paths))
            throw new ArgumentException($"ParamTree.Zip needs trees with the same paths; one has [{string.Join(", ", Paths.Except(other.Paths).Take(5))}] the other lacks and the other has [{string.Join(", ", other.Paths.Except(Paths).Take(5))}].");
        return new(_items.Select((kv, i) => KeyValuePair.Create(kv.Key, f(kv.Value, other._items[i].Value))).ToImmutableArray());
    }

    /// <summary>The leaves whose path satisfies <paramref name="keep"/>.</summary>
    public ParamTree<T> Filter(Func<string, T, bool> keep) => new(_items.Where(kv => keep(kv.Key, kv.Value)).ToImmutableArray());

    /// <summary>
    /// Splits the leaves by <paramref name="predicate"/> on their path, keeping order within each part:
    /// <c>var (head, body) = p.Partition(path =&gt; path.StartsWith("fc."));</c>
    /// </summary>
    public (ParamTree<T> Matching, ParamTree<T> Others) Partition(Func<string, bool> predicate) =>
        (Filter((k, _) => predicate(k)), Filter((k, _) => !predicate(k)));

    /// <summary>The leaves of this tree followed by those of <paramref name="other"/>; a path in both is an error. Undoes <see cref="Partition"/> up to order.</summary>
    public ParamTree<T> Concat(ParamTree<T> other) => new(_items.AddRange(other._items));

    /// <summary>A tree with the leaf at <paramref name="path"/> replaced or added.</summary>
    public ParamTree<T> With(string path, T value) =>
        _index.TryGetValue(path, out var i)
            ? new(_items.SetItem(i, KeyValuePair.Create(path, value)))
            : new(_items.Add(KeyValuePair.Create(path, value)));

    public IEnumerator<KeyValuePair<string, T>> GetEnumerator() => ((IEnumerable<KeyValuePair<string, T>>)_items).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"ParamTree({Count}): " + string.Join(", ", _items.Take(8).Select(kv => $"{kv.Key}={kv.Value}")) + (Count > 8 ? ", ..." : "");
}

/// <summary>Builds parameter trees.</summary>
public static class ParamTree
{
    /// <summary>
    /// A tree from named entries; an entry whose value is itself a <see cref="ParamTree{T}"/> is nested
    /// under its name (<c>("conv1", subtree)</c> gives paths <c>conv1.weight</c>, ...).
    /// </summary>
    public static ParamTree<T> Of<T>(params (string Name, object Value)[] entries)
    {
        var items = ImmutableArray.CreateBuilder<KeyValuePair<string, T>>();
        foreach (var (name, value) in entries)
        {
            switch (value)
            {
                case ParamTree<T> sub:
                    foreach (var kv in sub) items.Add(KeyValuePair.Create(name + "." + kv.Key, kv.Value));
                    break;
                case T leaf:
                    items.Add(KeyValuePair.Create(name, leaf));
                    break;
                default:
                    throw new ArgumentException($"ParamTree.Of: entry '{name}' is a {value?.GetType().Name ?? "null"}, not a {typeof(T).Name} or a ParamTree<{typeof(T).Name}>.");
            }
        }
        return new ParamTree<T>(items.ToImmutable());
    }

    /// <summary>A tree of tensors from named entries (tensors or subtrees of tensors).</summary>
    public static ParamTree<Tensor> Of(params (string Name, object Value)[] entries) => Of<Tensor>(entries);

    /// <summary>The number of scalars in all leaves (the parameter count); <see cref="ParamTree{T}.Count"/> is the number of leaves.</summary>
    public static long ScalarCount(this ParamTree<Tensor> p)
    {
        long n = 0;
        foreach (var kv in p) n += kv.Value.Size;
        return n;
    }

    /// <summary>The number of scalars in all leaves of a tree of variables.</summary>
    public static long ScalarCount(this ParamTree<Var> p)
    {
        long n = 0;
        foreach (var kv in p) n += kv.Value.Shape.Size;
        return n;
    }

    /// <summary>A tree from (path, leaf) pairs in order.</summary>
    public static ParamTree<T> FromPairs<T>(IEnumerable<KeyValuePair<string, T>> pairs) => new(pairs.ToImmutableArray());
}
