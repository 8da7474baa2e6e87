using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using Tensor = Cnn.Autodiff.Tensor;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>Checks and buffer plumbing shared by the optimizers and the gradient clipping.</summary>
internal static class Trees
{
    /// <summary>Throws unless <paramref name="other"/> has the paths of <paramref name="p"/> in the same order, with equal shapes and element types.</summary>
    internal static void RequireSameLayout(string op, ParamTree<Tensor> p, ParamTree<Tensor> other, string otherName)
    {
        if (other.Count != p.Count || !p.Paths.SequenceEqual(other.Paths))
        {
            var missing = p.Paths.Except(other.Paths).Take(5).ToArray();
            var extra = other.Paths.Except(p.Paths).Take(5).ToArray();
            var detail = missing.Length + extra.Length == 0
                ? "the same paths in another order"
                : $"missing [{string.Join(", ", missing)}] and extra [{string.Join(", ", extra)}]";
            throw new ArgumentException($"{op} expects the {otherName} tree to have the parameters' {p.Count} paths in order but it has {other.Count}: {detail}. Build it from the same model (gradients from Diff.Grad over this parameter tree).");
        }
        for (int i = 0; i < p.Count; i++)
        {
            var (path, t) = p[i];
            var u = other[i].Value;
            if (t.Shape != u.Shape || t.DType != u.DType)
                throw new ArgumentException($"{op} expects the {otherName} at '{path}' to be {t.DType.ShortName()}{t.Shape} like the parameter but got {u.DType.ShortName()}{u.Shape}.");
        }
    }

    /// <summary>The learning rate to use: the override if given, else the optimizer's own; must be finite and >= 0.</summary>
    internal static double LearningRate(string op, double own, double? overridden)
    {
        double lr = overridden ?? own;
        if (!(lr >= 0) || double.IsInfinity(lr))
            throw new ArgumentOutOfRangeException(nameof(overridden), $"{op} needs a learning rate >= 0 but got {lr}{(overridden is null ? "" : " (passed to Step)")}.");
        return lr;
    }

    /// <summary>Throws unless <paramref name="value"/> is finite and at least <paramref name="min"/>.</summary>
    internal static double AtLeast(string op, string name, double value, double min)
    {
        if (!(value >= min) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, $"{op} needs {name} >= {min} but got {value}.");
        return value;
    }

    /// <summary>Throws unless 0 &lt;= <paramref name="value"/> &lt; 1.</summary>
    internal static double InUnitInterval(string op, string name, double value)
    {
        if (!(value >= 0 && value < 1))
            throw new ArgumentOutOfRangeException(name, $"{op} needs {name} in [0, 1) but got {value}.");
        return value;
    }

    /// <summary>The update of one parameter leaf: (parameter, gradient, buffers in name order) to (new parameter, new buffers).</summary>
    internal delegate (Tensor P, Tensor[] Buffers) LeafUpdate(Tensor p, Tensor g, Tensor[] buffers);

    /// <summary>The state before the first step: step 0 and a zero tree shaped like <paramref name="p"/> per buffer name.</summary>
    internal static OptimizerState Init(ParamTree<Tensor> p, string[] names)
    {
        var buffers = new (string, ParamTree<Tensor>)[names.Length];
        for (int k = 0; k < names.Length; k++) buffers[k] = (names[k], p.Map(t => Tensor.Zeros(t.Shape, t.DType)));
        return OptimizerState.Create(0, buffers);
    }

    /// <summary>
    /// Checks the trees and the state, applies <paramref name="update"/> leaf by leaf and assembles the new
    /// parameter tree and the state of step <c>state.Step + 1</c> with buffers <paramref name="names"/>.
    /// </summary>
    internal static (ParamTree<Tensor> Params, OptimizerState State) Step(
        string op, ParamTree<Tensor> p, ParamTree<Tensor> grads, OptimizerState state, string[] names, LeafUpdate update)
    {
        RequireSameLayout(op, p, grads, "gradient");
        state.Require(op, p, names);
        var old = new ParamTree<Tensor>[names.Length];
        for (int k = 0; k < names.Length; k++) old[k] = state.Buffer(names[k]);
        var newP = new KeyValuePair<string, Tensor>[p.Count];
        var newB = new KeyValuePair<string, Tensor>[names.Length][];
        for (int k = 0; k < names.Length; k++) newB[k] = new KeyValuePair<string, Tensor>[p.Count];
        var leafBuffers = new Tensor[names.Length];
        for (int i = 0; i < p.Count; i++)
        {
            var (path, x) = p[i];
            for (int k = 0; k < names.Length; k++) leafBuffers[k] = old[k][i].Value;
            var (y, buffers) = update(x, grads[i].Value, leafBuffers);
            newP[i] = KeyValuePair.Create(path, y);
            for (int k = 0; k < names.Length; k++) newB[k][i] = KeyValuePair.Create(path, buffers[k]);
        }
        var trees = new (string, ParamTree<Tensor>)[names.Length];
        for (int k = 0; k < names.Length; k++) trees[k] = (names[k], ParamTree.FromPairs(newB[k]));
        return (ParamTree.FromPairs(newP), OptimizerState.Create(state.Step + 1, trees));
    }

    /// <summary>
    /// The L2-decayed gradient g + wd * p in <paramref name="scratch"/> (rented from the shared pool; the caller
    /// returns it), or g itself when wd = 0.
    /// </summary>
    internal static ReadOnlySpan<T> DecayedGradient<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> p, double wd, ref T[]? scratch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (wd == 0) return g;
        scratch = ArrayPool<T>.Shared.Rent(g.Length);
        var d = scratch.AsSpan(0, g.Length);
        TensorPrimitives.MultiplyAdd(p, T.CreateTruncating(wd), g, d);
        return d;
    }

    /// <summary>Returns a buffer from <see cref="DecayedGradient"/> to the pool.</summary>
    internal static void Return<T>(T[]? scratch) where T : unmanaged
    {
        if (scratch is not null) ArrayPool<T>.Shared.Return(scratch);
    }
}
