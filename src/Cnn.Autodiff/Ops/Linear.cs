namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The affine map y = x W^T + b of a fully connected layer, as torch.nn.functional.linear. A composition
    /// of <see cref="MatMul(Var, Var, bool, bool)"/> (reading W transposed in place) and <see cref="Add"/>.
    /// </summary>
    /// <param name="x">[..., in] (e.g. [N, in]; a vector [in] gives [out])</param>
    /// <param name="w">[out, in]</param>
    /// <param name="b">[out], or null for no bias</param>
    /// <returns>[..., out]</returns>
    public static Var Linear(Var x, Var w, Var? b = null)
    {
        if (w.Rank != 2)
            throw new ArgumentException($"Linear expects a weight [out, in] but got {w.Shape}.");
        Tensor.RequireSameDType("Linear", x.Value, w.Value);
        if (b is not null) Tensor.RequireSameDType("Linear", x.Value, b.Value);
        int outFeatures = w.Shape[0], inFeatures = w.Shape[1];
        if (x.Rank == 0 || x.Shape[-1] != inFeatures)
            throw new ArgumentException($"Linear expects input [..., {inFeatures}] (weight {w.Shape}) but got {x.Shape}: the layer was built for {inFeatures} input features (flatten or reshape the input, or change the layer's in-features).");
        if (b is not null && (b.Rank != 1 || b.Shape[0] != outFeatures))
            throw new ArgumentException($"Linear expects a bias [{outFeatures}] (weight {w.Shape}) but got {b.Shape}.");
        var y = x.Rank == 1
            ? Reshape(MatMul(Reshape(x, 1, inFeatures), w, false, true), outFeatures)
            : MatMul(x, w, false, true);
        return b is null ? y : Add(y, b);
    }
}
