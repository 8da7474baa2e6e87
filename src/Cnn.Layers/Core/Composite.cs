using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// A layer made of named children: its parameters and state are the children's, nested under their
/// names (<c>conv1.weight</c>, <c>bn1.running_mean</c>), as a PyTorch module's attributes. By default the
/// children run one after another (PyTorch's <c>nn.Sequential(OrderedDict(...))</c>); blocks with a
/// different wiring (residual connections) override <see cref="Forward"/> and run children with a <see cref="Scope"/>.
/// </summary>
public abstract record Composite : ILayer
{
    /// <summary>The named children, in order; parameter paths are prefixed with these names.</summary>
    public abstract ImmutableArray<(string Name, ILayer Layer)> Children { get; }

    /// <summary>Each child initialised from its own key split from <paramref name="rng"/>.</summary>
    public ParamTree<Tensor> Init(Rng rng)
    {
        var children = Children;
        var keys = rng.Split(children.Length);
        var entries = new (string, object)[children.Length];
        for (int i = 0; i < children.Length; i++) entries[i] = (children[i].Name, children[i].Layer.Init(keys[i]));
        return ParamTree.Of(entries);
    }

    public ParamTree<Tensor> InitState()
    {
        var children = Children;
        var entries = new (string, object)[children.Length];
        for (int i = 0; i < children.Length; i++) entries[i] = (children[i].Name, children[i].Layer.InitState());
        return ParamTree.Of(entries);
    }

    /// <summary>The children applied in order, each with its own parameters, state and random key.</summary>
    public virtual LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        var scope = new Scope(p, ctx);
        foreach (var (name, layer) in Children) x = scope.Run(name, layer, x);
        return new LayerResult(x, scope.State);
    }

    /// <summary>The children's output shapes composed in order.</summary>
    public virtual Shape OutputShape(Shape input)
    {
        foreach (var (_, layer) in Children) input = layer.OutputShape(input);
        return input;
    }
}

/// <summary>
/// Runs named children inside one forward pass and collects their new state: each child gets the
/// parameters and state under its name and a random key derived from its name.
/// </summary>
/// <param name="p">The parent's parameters.</param>
/// <param name="ctx">The parent's context.</param>
public sealed class Scope(ParamTree<Var> p, LayerContext ctx)
{
    private readonly List<(string, object)> _states = [];

    /// <summary>The parent's context.</summary>
    public LayerContext Context => ctx;

    /// <summary>The output of child <paramref name="layer"/> named <paramref name="name"/> on <paramref name="x"/>; its new state is kept.</summary>
    public Var Run(string name, ILayer layer, Var x) => Run(name, (q, c) => layer.Forward(q, x, c));

    /// <summary>
    /// The output of a child named <paramref name="name"/> that is not a single-input layer (a U-Net
    /// stage that also takes a skip): <paramref name="forward"/> gets the child's parameters and context.
    /// </summary>
    public Var Run(string name, Func<ParamTree<Var>, LayerContext, LayerResult> forward)
    {
        var r = forward(p.Sub(name), ctx.Child(name));
        _states.Add((name, r.State));
        return r.Output;
    }

    /// <summary>The states of the children run so far, nested under their names.</summary>
    public ParamTree<Tensor> State => ParamTree.Of(_states.ToArray());
}
