using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// A one-off layer from functions, for what no named layer does:
/// <c>new Lambda((p, x, ctx) =&gt; x * p["scale"], s =&gt; s, rng =&gt; ParamTree.Of(("scale", Tensor.Ones([1]))))</c>,
/// or without parameters <c>Layer.From(x =&gt; Op.Relu(x) * 2)</c>.
/// </summary>
/// <param name="Body">The output for (parameters, input, context).</param>
/// <param name="ShapeOf">The output shape for an input shape; when null it is found by running <paramref name="Body"/> on zeros of the input shape with <see cref="Initialize"/>'s parameters.</param>
/// <param name="Initialize">The parameters for a random key; none when null.</param>
public sealed record Lambda(Func<ParamTree<Var>, Var, LayerContext, Var> Body, Func<Shape, Shape>? ShapeOf = null,
    Func<Rng, ParamTree<Tensor>>? Initialize = null) : Layer
{
    public override ParamTree<Tensor> Init(Rng rng) => Initialize?.Invoke(rng) ?? ParamTree<Tensor>.Empty;

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Body(p, x, ctx);

    // NOTE: without a shape function the output shape costs one forward pass on zeros (in evaluation mode).
    public override Shape OutputShape(Shape input) =>
        ShapeOf?.Invoke(input) ?? Body(Init(Rng.Seed(0)).Map(t => new Var(t)), Tensor.Zeros(input), LayerContext.Eval()).Shape;
}
