using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Freezing part of a parameter tree: the frozen leaves enter the function as constants, so gradients
/// are computed (and returned) for the trainable leaves only. Freezing <c>features.*</c> of a network:
/// <code>
/// var (trainable, frozen) = Freeze.Split(p, "features");
/// var (loss, g) = Freeze.ValueAndGrad(q =&gt; Op.CrossEntropy(net.Apply(q, x), labels), trainable, frozen);
/// // g has the paths of trainable only; update trainable with g, and use trainable.Concat(frozen) afterwards.
/// </code>
/// </summary>
public static class Freeze
{
    /// <summary>
    /// Splits <paramref name="p"/> into (trainable, frozen): a leaf is frozen when its path equals one of
    /// <paramref name="frozenPrefixes"/> or lies under it (<c>"features"</c> or <c>"features.*"</c> freezes
    /// <c>features.0.weight</c> but not <c>features2.weight</c>). Order within each part is kept.
    /// </summary>
    public static (ParamTree<T> Trainable, ParamTree<T> Frozen) Split<T>(ParamTree<T> p, params string[] frozenPrefixes)
    {
        var prefixes = frozenPrefixes.Select(s => s.EndsWith(".*", StringComparison.Ordinal) ? s[..^2] : s).ToArray();
        var (frozen, trainable) = p.Partition(path => prefixes.Any(pre => IsUnder(path, pre)));
        return (trainable, frozen);
    }

    /// <summary>
    /// The value of scalar <paramref name="f"/> at the union of <paramref name="trainable"/> and
    /// <paramref name="frozen"/>, and its gradient with respect to <paramref name="trainable"/> only
    /// (a tree of the same paths); the frozen leaves are constants.
    /// </summary>
    public static (Tensor Value, ParamTree<Tensor> Grads) ValueAndGrad(Func<ParamTree<Var>, Var> f, ParamTree<Tensor> trainable, ParamTree<Tensor> frozen)
    {
        var constants = frozen.Map(t => new Var(t));
        return Diff.ValueAndGrad(q => f(q.Concat(constants)), trainable);
    }

    private static bool IsUnder(string path, string prefix) =>
        path.Length == prefix.Length ? path == prefix
        : path.Length > prefix.Length && path[prefix.Length] == '.' && path.StartsWith(prefix, StringComparison.Ordinal);
}
