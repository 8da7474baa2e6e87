using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Testing;

/// <summary>A layer, an input shape, and the seed its parameters, input values and random directions come from.</summary>
/// <param name="Values">How the input's values are drawn (default standard normal); e.g. <see cref="TensorValues.Untied"/> for max pooling.</param>
public sealed record LayerCase(ILayer Layer, Shape Input, int Seed, TensorValues? Values = null)
{
    public override string ToString() => $"{Laws.Describe(Layer)} on input {Input}, seed {Seed}";
}

/// <summary>The laws <see cref="Laws.CheckLayer"/> can check.</summary>
[Flags]
public enum LayerLaw
{
    /// <summary>Gradients with respect to the input and every parameter match finite differences.</summary>
    Gradient = 1,

    /// <summary>The output's shape is what <see cref="ILayer.OutputShape"/> says.</summary>
    OutputShape = 2,

    /// <summary>The same key gives the same parameters, outputs and state, bit for bit.</summary>
    Determinism = 4,

    /// <summary>In evaluation mode, the output for a batch is the outputs for its samples stacked.</summary>
    BatchConsistency = 8,

    /// <summary>Gradients of gradients match finite differences.</summary>
    SecondOrder = 16,

    /// <summary>With circular padding, shifting the input shifts the output (stride-1 convolutional layers without padding).</summary>
    TranslationEquivariance = 32,

    /// <summary>Every law except translation equivariance (which only convolutional layers obey).</summary>
    Standard = Gradient | OutputShape | Determinism | BatchConsistency | SecondOrder,

    All = Standard | TranslationEquivariance,
}

public static partial class Laws
{
    /// <summary>A readable description of a layer and its settings (Sequential lists its children).</summary>
    public static string Describe(ILayer layer) => layer switch
    {
        Sequential s => "Sequential(" + string.Join(", ", s.Layers.Select(Describe)) + ")",
        _ => layer.ToString() ?? layer.GetType().Name,
    };

    /// <summary>Checks each law in <paramref name="laws"/> over generated cases, one FsCheck run per law (so a failure is shrunk for the law that broke).</summary>
    public static void CheckLayer(CaseGen<LayerCase> cases, LayerLaw laws = LayerLaw.Standard, int maxTest = 20, DType dtype = DType.Float64)
    {
        foreach (var law in Enum.GetValues<LayerLaw>())
        {
            if (law is LayerLaw.Standard or LayerLaw.All || !laws.HasFlag(law)) continue;
            Check(cases, c => Layer(law, c, dtype), maxTest);
        }
    }

    /// <summary>One layer law at one case.</summary>
    public static LawResult Layer(LayerLaw law, LayerCase c, DType dtype = DType.Float64) => law switch
    {
        LayerLaw.Gradient => LayerGradient(c, dtype),
        LayerLaw.OutputShape => OutputShape(c, dtype),
        LayerLaw.Determinism => Determinism(c, dtype),
        LayerLaw.BatchConsistency => BatchConsistency(c, dtype),
        LayerLaw.SecondOrder => LayerSecondOrder(c, dtype),
        LayerLaw.TranslationEquivariance => TranslationEquivariance(c, dtype),
        _ => throw new ArgumentException($"Laws.Layer expects a single law but got {law}; use CheckLayer for a combination."),
    };

    /// <summary>
    /// The gradient law for a layer, with respect to its input AND every parameter (named by path in the
    /// report). Parameters from Init(seed) and state are cast to <paramref name="dtype"/>; the forward pass
    /// runs in <paramref name="mode"/> with a fixed random key (so dropout's mask is fixed).
    /// </summary>
    public static LawResult LayerGradient(LayerCase c, DType dtype = DType.Float64, Mode mode = Mode.Train, GradCheckOptions? options = null)
    {
        var subject = Subject(c);
        try
        {
            var (f, xs, names) = AsFunction(c, dtype, mode);
            return Gradient(subject, f, xs, c.Seed, options, names);
        }
        catch (Exception e)
        {
            return LawResult.Threw("gradient", subject, e);
        }
    }

    /// <summary>The second-order law for a layer (input and parameters) on sum(y^2) / 2; see <see cref="SecondOrder"/>.</summary>
    public static LawResult LayerSecondOrder(LayerCase c, DType dtype = DType.Float64, Mode mode = Mode.Train, GradCheckOptions? options = null)
    {
        var subject = Subject(c);
        try
        {
            var (f, xs, names) = AsFunction(c, dtype, mode);
            return SecondOrder(subject, f, xs, c.Seed, options, names);
        }
        catch (Exception e)
        {
            return LawResult.Threw("second-order gradient", subject, e);
        }
    }

    /// <summary>The output's shape equals <see cref="ILayer.OutputShape"/> of the input's shape.</summary>
    public static LawResult OutputShape(LayerCase c, DType dtype = DType.Float64)
    {
        const string law = "output shape";
        var subject = Subject(c);
        Shape predicted;
        try
        {
            predicted = c.Layer.OutputShape(c.Input);
        }
        catch (Exception e)
        {
            return LawResult.Fail(law, subject, $"OutputShape({c.Input}) threw {e.GetType().Name}: {e.Message}");
        }
        try
        {
            var pt = Point(c, dtype);
            var actual = c.Layer.Forward(Consts(pt.Params), pt.X, LayerContext.Eval(pt.State)).Output.Shape;
            return actual == predicted
                ? LawResult.Pass(law, subject)
                : LawResult.Fail(law, subject, $"OutputShape({c.Input}) says {predicted} but the forward pass returned {actual}");
        }
        catch (Exception e)
        {
            return LawResult.Threw(law, subject, e);
        }
    }

    /// <summary>
    /// Init with the same key twice gives identical parameters, and the forward pass with the same context
    /// twice (training and evaluation) gives identical outputs and states, bit for bit.
    /// </summary>
    public static LawResult Determinism(LayerCase c, DType dtype = DType.Float64)
    {
        const string law = "determinism";
        var subject = Subject(c);
        try
        {
            var key = Rng.Seed(c.Seed);
            if (Differs(c.Layer.Init(key), c.Layer.Init(key)) is string pd)
                return LawResult.Fail(law, subject, $"Init with the same key gave different parameters: {pd}");
            var pt = Point(c, dtype);
            foreach (var mode in new[] { Mode.Train, Mode.Eval })
            {
                var ctx = new LayerContext(mode, pt.Forward, pt.State);
                var a = c.Layer.Forward(Consts(pt.Params), pt.X, ctx);
                var b = c.Layer.Forward(Consts(pt.Params), pt.X, ctx);
                if (Differs(a.Output.Value, b.Output.Value) is string od)
                    return LawResult.Fail(law, subject, $"two {mode} forward passes with the same key gave different outputs: {od}");
                if (Differs(a.State, b.State) is string sd)
                    return LawResult.Fail(law, subject, $"two {mode} forward passes with the same key gave different states: {sd}");
            }
            return LawResult.Pass(law, subject);
        }
        catch (Exception e)
        {
            return LawResult.Threw(law, subject, e);
        }
    }

    /// <summary>
    /// In evaluation mode, the output for the batch equals the outputs for each sample (a batch of one, cut
    /// with Op.Slice) joined along axis 0, within <see cref="Tolerance.For"/>. Only for layers that do not mix samples.
    /// </summary>
    public static LawResult BatchConsistency(LayerCase c, DType dtype = DType.Float64, Tolerance? tolerance = null)
    {
        const string law = "batch consistency";
        var subject = Subject(c);
        try
        {
            var pt = Point(c, dtype);
            var p = Consts(pt.Params);
            Var Apply(Var x) => c.Layer.Forward(p, x, LayerContext.Eval(pt.State)).Output;
            int n = c.Input[0];
            var whole = Apply(pt.X).Value;
            var parts = new Var[n];
            for (int i = 0; i < n; i++) parts[i] = Apply(Op.Slice(pt.X, 0, i, i + 1));
            var stacked = Op.Concat(parts, 0).Value;
            if (Mismatch(stacked, whole, tolerance ?? Tolerance.For(dtype)) is not (int at, double a, double b))
                return LawResult.Pass(law, subject);
            int perSample = whole.Size / Math.Max(n, 1);
            return LawResult.Fail(law, subject,
                $"output element {Index(whole.Shape, at)} (sample {at / Math.Max(perSample, 1)}) is {LawResult.Num(b)} for the batch but {LawResult.Num(a)} for that sample alone");
        }
        catch (Exception e)
        {
            return LawResult.Threw(law, subject, e);
        }
    }

    /// <summary>
    /// Translation equivariance: with g(x) = layer(circular_pad(x)), padded by as much as the layer shrinks the
    /// input so the output keeps its size, g(roll(x, s)) = roll(g(x), s) for a shift s drawn from the seed
    /// (roll by Op.Slice and Op.Concat). Holds for stride-1 layers without padding of their own (convolution,
    /// pointwise activations, stride-1 pooling, and sequences of them). Input [N, C, H, W].
    /// </summary>
    public static LawResult TranslationEquivariance(LayerCase c, DType dtype = DType.Float64, Tolerance? tolerance = null)
    {
        const string law = "translation equivariance";
        var subject = Subject(c);
        try
        {
            if (c.Input.Rank != 4) return LawResult.Fail(law, subject, $"needs an input [N, C, H, W] but got {c.Input}");
            int h = c.Input[2], w = c.Input[3];
            var o = c.Layer.OutputShape(c.Input);
            int ph = h - o[2], pw = w - o[3];
            int[] pads = [pw / 2, pw - pw / 2, ph / 2, ph - ph / 2];
            if (ph < 0 || pw < 0 || pads[0] > w || pads[1] > w || pads[2] > h || pads[3] > h)
                return LawResult.Fail(law, subject, $"the layer maps {c.Input} to {o}; the law needs an output no larger than the input and a circular padding no wider than the input");
            var pt = Point(c, dtype);
            var p = Consts(pt.Params);
            Var G(Var x) => c.Layer.Forward(p, Op.Pad(x, pads, PadMode.Circular), LayerContext.Eval(pt.State)).Output;
            var y = G(pt.X);
            if (y.Shape[2] != h || y.Shape[3] != w)
                return LawResult.Fail(law, subject, $"after circular padding {c.Input} by {pads[2]},{pads[3]} rows and {pads[0]},{pads[1]} columns the output is {y.Shape}, not {h}x{w}: the law needs stride 1");
            int sh = pt.Check.Int(0, h), sw = pt.Check.Int(1, w);
            var shiftedFirst = G(Roll(pt.X, sh, sw)).Value;
            var shiftedAfter = Roll(y, sh, sw).Value;
            return Mismatch(shiftedFirst, shiftedAfter, tolerance ?? Tolerance.For(dtype)) is (int at, double a, double b)
                ? LawResult.Fail(law, subject, $"shifting the input by ({sh}, {sw}) gives {LawResult.Num(a)} at output {Index(y.Shape, at)} but shifting the output gives {LawResult.Num(b)}")
                : LawResult.Pass(law, subject);
        }
        catch (Exception e)
        {
            return LawResult.Threw(law, subject, e);
        }
    }

    /// <summary>x rolled by <paramref name="sh"/> rows and <paramref name="sw"/> columns: y[..., i, j] = x[..., i - sh, j - sw] (indices mod H, W).</summary>
    public static Var Roll(Var x, int sh, int sw) => RollAxis(RollAxis(x, x.Rank - 2, sh), x.Rank - 1, sw);

    private static Var RollAxis(Var x, int axis, int s)
    {
        int n = x.Shape[axis];
        s = ((s % n) + n) % n;
        return s == 0 ? x : Op.Concat([Op.Slice(x, axis, n - s, n), Op.Slice(x, axis, 0, n - s)], axis);
    }

    private static string Subject(LayerCase c) => $"{Describe(c.Layer)} at input {c.Input}";

    private sealed record LayerPoint(ParamTree<Tensor> Params, ParamTree<Tensor> State, Tensor X, Rng Check, Rng Forward);

    // Parameters, state and input of a case, in dtype, all from the case's seed.
    private static LayerPoint Point(LayerCase c, DType dtype)
    {
        var k = Rng.Seed(c.Seed).Split(4);
        return new LayerPoint(
            c.Layer.Init(k[0]).Map(t => t.Cast(dtype)),
            c.Layer.InitState().Map(t => t.Cast(dtype)),
            (c.Values ?? TensorValues.Normal).Sample(c.Input, dtype, k[1]),
            k[2], k[3]);
    }

    private static ParamTree<Var> Consts(ParamTree<Tensor> p) => p.Map(t => new Var(t));

    // The layer as a function of [input, parameters in path order], with the names of those inputs.
    private static (Func<IReadOnlyList<Var>, Var> F, Tensor[] Xs, string[] Names) AsFunction(LayerCase c, DType dtype, Mode mode)
    {
        var pt = Point(c, dtype);
        var paths = pt.Params.Paths.ToArray();
        var ctx = new LayerContext(mode, pt.Forward, pt.State);
        Var F(IReadOnlyList<Var> v) =>
            c.Layer.Forward(ParamTree.FromPairs(paths.Select((path, i) => KeyValuePair.Create(path, v[i + 1]))), v[0], ctx).Output;
        return (F, [pt.X, .. pt.Params.Values], ["input", .. paths]);
    }

    // The first element where a and b differ beyond the tolerance (or a shape difference at -1), else null.
    private static (int At, double A, double B)? Mismatch(Tensor a, Tensor b, Tolerance tol)
    {
        if (a.Shape != b.Shape) return (-1, double.NaN, double.NaN);
        int worst = -1;
        double worstDiff = 0;
        for (int i = 0; i < a.Size; i++)
        {
            if (tol.Close(a.At(i), b.At(i))) continue;
            double d = Math.Abs(a.At(i) - b.At(i));
            if (worst < 0 || d > worstDiff || double.IsNaN(d)) (worst, worstDiff) = (i, double.IsNaN(d) ? double.PositiveInfinity : d);
        }
        return worst < 0 ? null : (worst, a.At(worst), b.At(worst));
    }

    private static string? Differs(Tensor a, Tensor b)
    {
        if (a.Shape != b.Shape || a.DType != b.DType) return $"{a.DType.ShortName()} {a.Shape} vs {b.DType.ShortName()} {b.Shape}";
        for (int i = 0; i < a.Size; i++)
            if (!a.At(i).Equals(b.At(i))) return $"element {Index(a.Shape, i)}: {LawResult.Num(a.At(i))} vs {LawResult.Num(b.At(i))}";
        return null;
    }

    private static string? Differs(ParamTree<Tensor> a, ParamTree<Tensor> b)
    {
        if (!a.Paths.SequenceEqual(b.Paths)) return $"paths [{string.Join(", ", a.Paths)}] vs [{string.Join(", ", b.Paths)}]";
        for (int i = 0; i < a.Count; i++)
            if (Differs(a[i].Value, b[i].Value) is string d) return $"'{a[i].Key}' {d}";
        return null;
    }
}
