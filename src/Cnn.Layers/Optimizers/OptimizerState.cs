using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// An optimizer's state as a value: the number of steps taken and named per-parameter buffers
/// (<c>exp_avg</c>, <c>exp_avg_sq</c>, <c>momentum_buffer</c>, ... as torch.optim names them), each a tree
/// with the same paths and shapes as the parameters. A step returns a new state; the old one stays valid.
/// </summary>
public sealed class OptimizerState
{
    private readonly ImmutableArray<KeyValuePair<string, ParamTree<Tensor>>> _buffers;

    private OptimizerState(int step, ImmutableArray<KeyValuePair<string, ParamTree<Tensor>>> buffers)
    {
        if (step < 0)
            throw new ArgumentOutOfRangeException(nameof(step), $"OptimizerState needs a step count >= 0 but got {step}.");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in buffers)
        {
            if (name.Length == 0 || name.Contains('.'))
                throw new ArgumentException($"OptimizerState buffer names must be non-empty and without '.', but got '{name}'.");
            if (!seen.Add(name))
                throw new ArgumentException($"OptimizerState has the buffer '{name}' twice.");
        }
        Step = step;
        _buffers = buffers;
    }

    /// <summary>A state after <paramref name="step"/> steps holding the given named buffers, in order.</summary>
    public static OptimizerState Create(int step, params (string Name, ParamTree<Tensor> Tree)[] buffers)
    {
        var items = ImmutableArray.CreateBuilder<KeyValuePair<string, ParamTree<Tensor>>>(buffers.Length);
        foreach (var (name, tree) in buffers) items.Add(KeyValuePair.Create(name, tree));
        return new OptimizerState(step, items.MoveToImmutable());
    }

    /// <summary>Number of steps taken (PyTorch's <c>state["step"]</c>); 0 before the first step.</summary>
    public int Step { get; }

    /// <summary>The buffer names, in order.</summary>
    public IEnumerable<string> BufferNames => _buffers.Select(kv => kv.Key);

    /// <summary>The buffer tree called <paramref name="name"/>, or an error naming the buffers this state holds.</summary>
    public ParamTree<Tensor> Buffer(string name)
    {
        foreach (var (n, tree) in _buffers)
            if (n == name) return tree;
        throw new KeyNotFoundException($"OptimizerState has no buffer '{name}'; it has: [{string.Join(", ", BufferNames)}].");
    }

    /// <summary>
    /// All buffers as one flat tree with paths <c>buffer.parameterPath</c> (<c>exp_avg.features.0.weight</c>),
    /// buffer by buffer in order: what a checkpoint writer saves next to <see cref="Step"/>.
    /// </summary>
    public ParamTree<Tensor> Flatten()
    {
        var items = new List<KeyValuePair<string, Tensor>>();
        foreach (var (name, tree) in _buffers)
            foreach (var (path, t) in tree)
                items.Add(KeyValuePair.Create(name + "." + path, t));
        return ParamTree.FromPairs(items);
    }

    /// <summary>
    /// The inverse of <see cref="Flatten"/>: splits each path at its first '.' into buffer name and
    /// parameter path, keeping the order in which buffers first appear.
    /// </summary>
    public static OptimizerState Restore(int step, ParamTree<Tensor> flat)
    {
        var names = new List<string>();
        var groups = new Dictionary<string, List<KeyValuePair<string, Tensor>>>(StringComparer.Ordinal);
        foreach (var (path, t) in flat)
        {
            int dot = path.IndexOf('.');
            if (dot <= 0 || dot == path.Length - 1)
                throw new ArgumentException($"OptimizerState.Restore expects paths 'buffer.parameterPath' (e.g. 'exp_avg.features.0.weight') but got '{path}'.");
            var name = path[..dot];
            if (!groups.TryGetValue(name, out var list))
            {
                groups[name] = list = [];
                names.Add(name);
            }
            list.Add(KeyValuePair.Create(path[(dot + 1)..], t));
        }
        var buffers = ImmutableArray.CreateBuilder<KeyValuePair<string, ParamTree<Tensor>>>(names.Count);
        foreach (var name in names) buffers.Add(KeyValuePair.Create(name, ParamTree.FromPairs(groups[name])));
        return new OptimizerState(step, buffers.MoveToImmutable());
    }

    /// <summary>
    /// Throws unless this state holds exactly the buffers <paramref name="names"/> (in any order), each shaped like
    /// <paramref name="p"/>: catches a state from another optimizer, configuration or model.
    /// </summary>
    internal void Require(string op, ParamTree<Tensor> p, params string[] names)
    {
        if (_buffers.Length != names.Length || names.Any(n => !_buffers.Any(kv => kv.Key == n)))
            throw new ArgumentException($"{op} expects state buffers [{string.Join(", ", names)}] but the state has [{string.Join(", ", BufferNames)}]: pass the state from this optimizer's Init (or a restored one of the same configuration).");
        foreach (var (name, tree) in _buffers)
            Trees.RequireSameLayout(op, p, tree, $"state buffer '{name}'");
    }

    public override string ToString() => $"OptimizerState(step {Step}; {string.Join(", ", BufferNames)})";
}
