using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// A layer is a value: its settings (the record's properties), an <see cref="Init"/> that returns its
/// parameter tree, and a pure <see cref="Forward"/>. State that is not trained (batch norm's running
/// statistics) is explicit: it comes in through the context and goes out with the result.
/// </summary>
public interface ILayer
{
    /// <summary>The trainable parameters, freshly initialised from <paramref name="rng"/> (PyTorch's defaults).</summary>
    ParamTree<Tensor> Init(Rng rng);

    /// <summary>The initial non-trainable state (running statistics); empty for most layers.</summary>
    ParamTree<Tensor> InitState();

    /// <summary>
    /// The output for input <paramref name="x"/> under parameters <paramref name="p"/>, and the state after
    /// this call (the incoming <see cref="LayerContext.State"/> for stateless layers).
    /// </summary>
    LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx);

    /// <summary>The output shape for an input of shape <paramref name="input"/>, without running anything; throws like Forward on a bad shape.</summary>
    Shape OutputShape(Shape input);
}

/// <summary>The output of a layer and its state afterwards.</summary>
public readonly record struct LayerResult(Var Output, ParamTree<Tensor> State);

/// <summary>Training or evaluation: batch norm uses batch statistics and dropout drops only in training.</summary>
public enum Mode
{
    Train,
    Eval,
}

/// <summary>
/// What a forward pass needs besides parameters and input: the mode, an explicit random key, and the
/// layer's state. Nothing is ambient: two trainings on two threads never see each other.
/// </summary>
public sealed record LayerContext(Mode Mode, Rng Rng, ParamTree<Tensor> State)
{
    /// <summary>Evaluation mode with the given state (empty by default).</summary>
    public static LayerContext Eval(ParamTree<Tensor>? state = null) => new(Mode.Eval, Rng.Seed(0), state ?? ParamTree<Tensor>.Empty);

    /// <summary>Training mode with a random key and the given state (empty by default).</summary>
    public static LayerContext Train(Rng rng, ParamTree<Tensor>? state = null) => new(Mode.Train, rng, state ?? ParamTree<Tensor>.Empty);

    public bool Training => Mode == Mode.Train;

    /// <summary>
    /// The context of child <paramref name="name"/>: its part of the state and a random key derived from
    /// this one and the name, so siblings draw independent numbers.
    /// </summary>
    public LayerContext Child(string name) => this with { State = State.Sub(name), Rng = new Rng(Rng.Bits(StableHash(name))) };

    // FNV-1a: a hash of the name that is the same in every process (string.GetHashCode is not).
    private static long StableHash(string s)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in s) h = (h ^ c) * 1099511628211UL;
        return (long)(h >> 1);
    }
}

/// <summary>A layer without state: implement <see cref="Apply"/>; <see cref="Forward"/> passes the state through.</summary>
public abstract record Layer : ILayer
{
    public virtual ParamTree<Tensor> Init(Rng rng) => ParamTree<Tensor>.Empty;

    public ParamTree<Tensor> InitState() => ParamTree<Tensor>.Empty;

    public LayerResult Forward(ParamTree<Var> p, Var x, LayerContext ctx) => new(Apply(p, x, ctx), ctx.State);

    /// <summary>The output for input <paramref name="x"/> under parameters <paramref name="p"/>.</summary>
    public abstract Var Apply(ParamTree<Var> p, Var x, LayerContext ctx);

    public abstract Shape OutputShape(Shape input);

    /// <summary>
    /// A one-off parameterless layer from a function: <c>Layer.From(x =&gt; Op.Relu(x) * 2)</c>. See <see cref="Lambda"/>.
    /// </summary>
    /// <param name="apply">The output for an input.</param>
    /// <param name="outputShape">The output shape for an input shape; when null it is found by running <paramref name="apply"/> on zeros.</param>
    public static Lambda From(Func<Var, Var> apply, Func<Shape, Shape>? outputShape = null) =>
        new((_, x, _) => apply(x), outputShape);
}

/// <summary>Conveniences over <see cref="ILayer"/>.</summary>
public static class LayerExtensions
{
    /// <summary>The output of <paramref name="layer"/> in evaluation mode with its initial state (or the given context).</summary>
    public static Var Apply(this ILayer layer, ParamTree<Var> p, Var x, LayerContext? ctx = null) =>
        layer.Forward(p, x, ctx ?? LayerContext.Eval(layer.InitState())).Output;

    /// <summary>The output for tensors: parameters as constants, evaluation mode, initial state.</summary>
    public static Tensor Apply(this ILayer layer, ParamTree<Tensor> p, Tensor x) =>
        layer.Apply(p.Map(t => new Var(t)), x).Value;

    /// <summary>The number of scalar parameters.</summary>
    public static long ParameterCount(this ILayer layer) =>
        layer.Init(Rng.Seed(0)).ScalarCount();
}
