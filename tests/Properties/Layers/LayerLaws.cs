using System.Collections.Immutable;
using Cnn.Autodiff;
using Cnn.Layers;
using Cnn.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Layers;

public class LayerLaws
{
    /// <summary>
    /// The float64 gradient law of <paramref name="layer"/> with respect to its input and every parameter
    /// (<see cref="Laws.LayerGradient"/>), in the given mode with a fixed random key.
    /// </summary>
    internal static void GradientLaw(ILayer layer, int[] xShape, int seed, Mode mode = Mode.Eval) =>
        Laws.LayerGradient(new LayerCase(layer, xShape, seed), mode: mode).ThrowIfFailed();

    /// <summary>The declared output shape equals the shape of an actual forward pass (<see cref="Laws.OutputShape"/>).</summary>
    internal static void ShapeLaw(ILayer layer, int[] xShape) =>
        Laws.OutputShape(new LayerCase(layer, xShape, 0)).ThrowIfFailed();

    public sealed record Case(ILayer Layer, int[] X, int Seed, long Parameters)
    {
        public override string ToString() => $"{Layer} x=[{string.Join(", ", X)}]";
    }

    // Kernel 1..3, stride 1..2, padding 0..1 or 'same', dilation 1..2, groups 1..2, with or without bias.
    private static readonly Gen<Case> Convs =
        from g in Gen.Choose(1, 2)
        from cg in Gen.Choose(1, 2)
        from kg in Gen.Choose(1, 2)
        from k in Gen.Choose(1, 3)
        from s in Gen.Choose(1, 2)
        from pad in Gen.Choose(0, 1)
        from d in Gen.Choose(1, 2)
        from same in Gen.Elements(false, false, true)
        from bias in Gen.Elements(true, false)
        from n in Gen.Choose(1, 2)
        from e in Gen.Choose(0, 2)
        from seed in Law.Seed
        let h = Math.Max(1, d * (k - 1) + 1 - 2 * pad) + e
        select new Case(
            same ? Conv2d.Same(g * cg, g * kg, k, d, g, bias) : new Conv2d(g * cg, g * kg, k, s, pad, d, g, bias),
            [n, g * cg, h, h + 1], seed, g * kg * (cg * k * k + (bias ? 1 : 0)));

    private static readonly Gen<Case> Transposes =
        from g in Gen.Choose(1, 2)
        from cg in Gen.Choose(1, 2)
        from kg in Gen.Choose(1, 2)
        from k in Gen.Choose(1, 3)
        from s in Gen.Choose(1, 2)
        from d in Gen.Choose(1, 2)
        from pad in Gen.Choose(0, d * (k - 1) / 2)
        from op in Gen.Choose(0, Math.Max(s, d) - 1)
        from bias in Gen.Elements(true, false)
        from h in Gen.Choose(1, 3)
        from seed in Law.Seed
        select new Case(new ConvTranspose2d(g * cg, g * kg, k, s, pad, op, g, bias, d),
            [2, g * cg, h, h + 1], seed, g * cg * kg * k * k + (bias ? g * kg : 0));

    private static readonly Gen<Case> Linears =
        from i in Gen.Choose(1, 4)
        from o in Gen.Choose(1, 4)
        from bias in Gen.Elements(true, false)
        from rank in Gen.Choose(0, 2)
        from lead in Gen.ArrayOf(Gen.Choose(1, 3), rank)
        from seed in Law.Seed
        select new Case(new Linear(i, o, bias), [.. lead, i], seed, o * (i + (bias ? 1 : 0)));

    // Parameterless layers on [N, C, H, W] with H, W 2..5.
    private static readonly Gen<Case> Stateless =
        from layer in Gen.Elements<ILayer>(
            new ReLU(), new LeakyReLU(0.1), new Sigmoid(), new Tanh(), new Flatten(), new Flatten(2),
            new MaxPool2d(2), new MaxPool2d(2, 1), new AvgPool2d(2), new AvgPool2d(3, 1, 1), new AvgPool2d(3, 2, 1, false),
            new AdaptiveAvgPool2d(2), new AdaptiveAvgPool2d(1, 3), new GlobalAvgPool(), new Dropout(0.3),
            Layer.From(x => Op.Sigmoid(x) * x))
        from n in Gen.Choose(1, 2)
        from c in Gen.Choose(1, 3)
        from h in Gen.Choose(3, 5)
        from w in Gen.Choose(3, 5)
        from seed in Law.Seed
        select new Case(layer, [n, c, h, w], seed, 0);

    private static readonly Gen<Case> BatchNorms =
        from c in Gen.Choose(1, 3)
        from n in Gen.Choose(2, 3)
        from h in Gen.Choose(1, 3)
        from seed in Law.Seed
        select new Case(new BatchNorm2d(c), [n, c, h, h + 1], seed, 2 * c);

    // Blocks at small sizes; strides and channel changes so both kinds of shortcut appear.
    private static readonly Gen<Case> Blocks =
        from kind in Gen.Choose(0, 5)
        from cin in Gen.Choose(1, 3)
        from cout in Gen.Choose(1, 3)
        from stride in Gen.Choose(1, 2)
        from seed in Law.Seed
        let layer = kind switch
        {
            0 => (ILayer)new ConvBlock(cin, cout, 3, stride),
            1 => new BasicBlock(cin, cout, stride),
            2 => new BasicBlock(cin, cin),
            3 => new Bottleneck(cin, cout, stride),
            4 => new DepthwiseSeparableConv(cin, cout, stride),
            _ => new UNetDown(cin, cout),
        }
        select new Case(layer, [2, cin, 4, 4], seed, -1);

    [Fact]
    public void Conv2d_GradientShapeAndCount_Hold() => Law.Check(Convs, AllLaws, 25);

    [Fact]
    public void ConvTranspose2d_GradientShapeAndCount_Hold() => Law.Check(Transposes, AllLaws, 25);

    [Fact]
    public void Linear_GradientShapeAndCount_Hold() => Law.Check(Linears, AllLaws, 20);

    [Fact]
    public void ParameterlessLayers_GradientInTrainAndShape_Hold() => Law.Check(Stateless, c =>
    {
        GradientLaw(c.Layer, c.X, c.Seed, Mode.Train);
        ShapeLaw(c.Layer, c.X);
        Assert.Equal(0, c.Layer.ParameterCount());
    }, 40);

    [Fact]
    public void BatchNorm2d_GradientInTrainAndEvalShapeAndCount_Hold() => Law.Check(BatchNorms, c =>
    {
        AllLaws(c);
        GradientLaw(c.Layer, c.X, c.Seed, Mode.Train);
        ShapeLaw(c.Layer, c.X);
    }, 15);

    [Fact]
    public void Blocks_GradientInTrainAndShape_Hold() => Law.Check(Blocks, c =>
    {
        GradientLaw(c.Layer, c.X, c.Seed, Mode.Train);
        ShapeLaw(c.Layer, c.X);
    }, 12);

    [Fact]
    public void UNetUp_GradientInInputSkipAndParameters_Holds() => Law.Check(Law.Seed, seed =>
    {
        var up = new UNetUp(4, 3);
        var keys = Rng.Seed(seed).Split(4);
        var p = up.Init(keys[0]).Map(t => t.Cast(DType.Float64));
        var ctx = LayerContext.Train(keys[1], up.InitState().Map(t => t.Cast(DType.Float64)));
        var x = Tensor.RandomNormal(keys[2], [2, 4, 2, 2], dtype: DType.Float64);
        var skip = Tensor.RandomNormal(keys[3], [2, 2, 4, 4], dtype: DType.Float64);
        var paths = p.Paths.ToArray();
        GradCheck.Assert("UNetUp",
            xs => up.Forward(ParamTree.FromPairs(paths.Select((k, i) => KeyValuePair.Create(k, xs[i + 2]))), xs[0], xs[1], ctx).Output,
            [x, skip, .. p.Values], keys[0]);
        Assert.Equal(up.OutputShape(x.Shape), Shape.Create([2, 3, 4, 4]));
    }, 4);

    [Fact]
    public void Lambda_WithParameters_GradientAndShapeHold() => Law.Check(Law.Seed, seed =>
    {
        var layer = new Lambda((p, x, _) => Op.Tanh(x * p["scale"]) + p["shift"], null,
            rng => ParamTree.Of(("scale", Tensor.RandomNormal(rng, [3, 1, 1])), ("shift", Tensor.Zeros([1]))));
        GradientLaw(layer, [2, 3, 2, 2], seed);
        ShapeLaw(layer, [2, 3, 2, 2]);
        Assert.Equal(4, layer.ParameterCount());
    }, 5);

    private static void AllLaws(Case c)
    {
        GradientLaw(c.Layer, c.X, c.Seed);
        ShapeLaw(c.Layer, c.X);
        Assert.Equal(c.Parameters, c.Layer.ParameterCount());
    }

    [Fact]
    public void BasicBlock_ZeroConvAndBatchNorm_IsReluOfInput() => Law.Check(
        from c in Gen.Choose(1, 3)
        from h in Gen.Choose(1, 4)
        from seed in Law.Seed
        select (c, h, seed),
        t =>
        {
            var block = new BasicBlock(t.c, t.c);
            var p = block.Init(Rng.Seed(t.seed)).Map(w => w.FullLike(0));
            var x = Tensor.RandomNormal(Rng.Seed(t.seed + 1), [2, t.c, t.h, t.h]);
            foreach (var ctx in new[] { LayerContext.Eval(block.InitState()), LayerContext.Train(Rng.Seed(1), block.InitState()) })
            {
                var y = block.Forward(p.Map(w => new Var(w)), x, ctx).Output.Value;
                Assert.Equal(0, y.MaxAbsDiff(Op.Relu(x).Value));
            }
        }, 10);

    [Fact]
    public void Sequential_OfSequentials_EqualsFlatSequential() => Law.Check(Law.Seed, seed =>
    {
        ILayer[] layers = [new Conv2d(2, 3, 3, Padding: 1), new BatchNorm2d(3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(12, 4), new Tanh()];
        var flat = new Sequential(layers);
        var nested = new Sequential(new Sequential(layers[..2]), new Sequential(layers[2..5]), new Sequential(layers[5..]));
        // Nested path "i.j.name" corresponds to flat path "(offset_i + j).name".
        int[] offsets = [0, 2, 5];
        string Flat(string path)
        {
            var parts = path.Split('.', 3);
            return $"{offsets[int.Parse(parts[0])] + int.Parse(parts[1])}.{parts[2]}";
        }
        var pn = nested.Init(Rng.Seed(seed));
        var pf = ParamTree.FromPairs(pn.Select(kv => KeyValuePair.Create(Flat(kv.Key), kv.Value)));
        Assert.Equal(flat.Init(Rng.Seed(0)).Paths.Order(), pf.Paths.Order());
        var x = Tensor.RandomNormal(Rng.Seed(seed + 1), [2, 2, 4, 4]);
        var rn = nested.Forward(pn.Map(t => new Var(t)), x, LayerContext.Train(Rng.Seed(3), nested.InitState()));
        var rf = flat.Forward(pf.Map(t => new Var(t)), x, LayerContext.Train(Rng.Seed(3), flat.InitState()));
        Assert.Equal(0, rn.Output.Value.MaxAbsDiff(rf.Output.Value));
        Assert.Equal(0, rn.State["0.1.running_var"].MaxAbsDiff(rf.State["1.running_var"]));
        Assert.Equal(nested.OutputShape(x.Shape), flat.OutputShape(x.Shape));
    }, 8);

    [Fact]
    public void BatchNorm2d_Eval_IsAffine() => Law.Check(
        from c in Gen.Choose(1, 3)
        from a in Gen.Choose(-20, 20)
        from seed in Law.Seed
        select (c, a / 10.0, seed),
        t =>
        {
            var bn = new BatchNorm2d(t.c);
            var k = Rng.Seed(t.seed).Split(6);
            var p = ParamTree.Of(("weight", Tensor.RandomNormal(k[0], [t.c], dtype: DType.Float64)), ("bias", Tensor.RandomNormal(k[1], [t.c], dtype: DType.Float64)));
            var state = ParamTree.Of(("running_mean", Tensor.RandomNormal(k[2], [t.c], dtype: DType.Float64)),
                ("running_var", Tensor.RandomUniform(k[3], [t.c], 0.5, 2, DType.Float64)));
            var ctx = LayerContext.Eval(state);
            Tensor F(Var x) => bn.Forward(p.Map(w => new Var(w)), x, ctx).Output.Value;
            Var x1 = Tensor.RandomNormal(k[4], [2, t.c, 2, 3], dtype: DType.Float64), x2 = Tensor.RandomNormal(k[5], [2, t.c, 2, 3], dtype: DType.Float64);
            var lhs = F(x1 * t.Item2 + x2 * (1 - t.Item2));
            var rhs = ((Var)F(x1) * t.Item2 + (Var)F(x2) * (1 - t.Item2)).Value;
            Assert.True(lhs.AllClose(rhs, 1e-12, 1e-12), $"{lhs} vs {rhs}");
            Assert.Equal(0, bn.Forward(p.Map(w => new Var(w)), x1, ctx).State["running_mean"].MaxAbsDiff(state["running_mean"]));
        }, 15);

    [Fact]
    public void Dropout_Eval_IsIdentity() => Law.Check(Law.ShapeAndSeed(), t =>
    {
        var x = Tensor.RandomNormal(Rng.Seed(t.Seed), t.Shape);
        var y = new Dropout(0.5).Forward(ParamTree<Var>.Empty, x, LayerContext.Eval()).Output.Value;
        Assert.Same(x, y);
    }, 20);

    [Fact]
    public void Dropout_Train_KeepsTheExpectation() => Law.Check(
        from p in Gen.Choose(1, 8)
        from seed in Law.Seed
        select (p / 10.0, seed),
        t =>
        {
            const int n = 20_000;
            var x = Tensor.Full([n], 2.0, DType.Float64);
            var y = new Dropout(t.Item1).Forward(ParamTree<Var>.Empty, x, LayerContext.Train(Rng.Seed(t.seed))).Output.Value;
            double mean = y.ToDoubleArray().Average();
            // Each y is 0 or 2 / (1 - p), with standard deviation 2 sqrt(p / (1 - p)); allow 5 standard errors of the mean.
            double se = 2 * Math.Sqrt(t.Item1 / (1 - t.Item1) / n);
            Assert.InRange(mean, 2 - 5 * se, 2 + 5 * se);
        }, 10);
}
