using Cnn.Autodiff;
using Cnn.Layers;
using Cnn.Testing;

namespace Cnn.Properties.Testing;

/// <summary>
/// Deliberately broken ops and layers: each must be caught by a law, shrunk to a small case (every
/// dimension at most 3), and reported with the law, the subject and where the error is.
/// </summary>
public class BrokenLaws
{
    // tanh with its pullback's sign flipped.
    private static Var WrongSignTanh(Var x) =>
        Op.Custom("tanh_wrong_sign", [x], v => Op.Tanh(v[0]).Value, (g, _, y) => [Op.Negate(g * (1.0 - y * y))]);

    /// <summary>y = x W^T whose weight gradient is x^T g [In, Out] reshaped to [Out, In] instead of g^T x: right shape, wrong layout.</summary>
    private sealed record TransposedGradLinear(int In, int Out) : Layer
    {
        public override ParamTree<Tensor> Init(Rng rng) => ParamTree.Of(("weight", Tensor.RandomNormal(rng, [Out, In])));

        public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) =>
            Op.Custom("linear_transposed_wgrad", [x, p["weight"]], v => Op.MatMul(v[0], v[1], false, true).Value,
                (g, xs, _) => [Op.MatMul(g, xs[1]), Op.Reshape(Op.MatMul(xs[0], g, true, false), Out, In)]);

        public override Shape OutputShape(Shape input) => [input[0], Out];
    }

    /// <summary>Max pooling with window k whose pullback routes the gradient as if the window were k - 1.</summary>
    private static Var OffByOnePool(Var x, int k, int s) =>
        Op.Custom("max_pool_off_by_one", [x], v => Op.MaxPool2d(v[0], k, s).Value,
            (g, xs, y) => [Diff.Vjp(v => Op.Slice(Op.Slice(Op.MaxPool2d(v, k - 1, s), 2, 0, y.Shape[2]), 3, 0, y.Shape[3]), xs[0]).Pullback(g)]);

    /// <summary>A convolution whose bias is added by a custom op that forgets the bias gradient.</summary>
    private sealed record NoBiasGradConv2d(Conv2d Conv) : Layer
    {
        public override ParamTree<Tensor> Init(Rng rng) => Conv.Init(rng);

        public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) =>
            Op.Custom("add_bias_no_grad", [Op.Conv2d(x, p["weight"], null, Conv.Options), p["bias"]],
                v => Op.Add(v[0], Op.Reshape(v[1], 1, Conv.OutChannels, 1, 1)).Value,
                (g, _, _) => [g, null]);

        public override Shape OutputShape(Shape input) => Conv.OutputShape(input);
    }

    /// <summary>A convolution whose OutputShape forgets the stride.</summary>
    private sealed record StrideBlindConv2d(Conv2d Conv) : Layer
    {
        public override ParamTree<Tensor> Init(Rng rng) => Conv.Init(rng);
        public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) => Conv.Forward(p, x, ctx).Output;
        public override Shape OutputShape(Shape input) => (Conv with { Options = Conv.Options with { StrideH = 1, StrideW = 1 } }).OutputShape(input);
    }

    private static readonly CaseGen<Conv2dCase> SquareConv = Gens.Conv2d(new Conv2dBounds(Square: true));

    private static Conv2d Layer(Conv2dCase c) =>
        new(c.InChannels, c.OutChannels, c.KernelH, c.Options.StrideH, c.Options.PadTop, c.Options.DilationH, c.Options.Groups);

    private static void AssertSmall(Shape s) => Assert.True(s.All(d => d <= 3), $"the shrunk shape {s} has a dimension above 3");

    private static LawException AssertCaught(Action check, string law, string subject)
    {
        var e = Assert.Throws<LawException>(check);
        Assert.Equal(law, e.Result.Law);
        Assert.Contains(subject, e.Message);
        Assert.Contains("smallest failing case", e.Message);
        return e;
    }

    [Fact]
    public void GradientLaw_WrongPullbackSign_CaughtAndShrunkToOneElement()
    {
        var e = AssertCaught(() => Laws.CheckGradient("tanh_wrong_sign", xs => WrongSignTanh(xs[0]), Gens.Inputs(Gens.Shape(1, 4, 1, 5))), "gradient", "tanh_wrong_sign");
        var c = Assert.IsType<InputsCase>(e.Case);
        Assert.Equal([1], c.Shapes[0].ToArray());
        Assert.Contains("worst element of input 0 [1]", e.Message);
    }

    [Fact]
    public void LayerGradientLaw_TransposedWeightGradient_CaughtAtTwoByTwoWeight()
    {
        var cases =
            from n in Gens.Int(1, 4)
            from i in Gens.Int(1, 5)
            from o in Gens.Int(1, 5)
            from seed in Gens.Seed
            select new LayerCase(new TransposedGradLinear(i, o), [n, i], seed);
        var e = AssertCaught(() => Laws.CheckLayer(cases, LayerLaw.Gradient), "gradient", "TransposedGradLinear");
        var c = Assert.IsType<LayerCase>(e.Case);
        AssertSmall(c.Input);
        var layer = (TransposedGradLinear)c.Layer;
        Assert.True(layer.In > 1 && layer.Out > 1, "a transposed [1, n] or [n, 1] weight gradient is not wrong; the shrunk case must have both sizes above 1");
        Assert.Contains("'weight'", e.Result.Report);
        Assert.Contains("worst element of input 1 'weight'", e.Result.Report);
    }

    [Fact]
    public void GradientLaw_OffByOnePoolingWindow_CaughtAtOneWindow()
    {
        var cases = Gens.Pool2d(new Pool2dBounds(Square: true)).Where(p => p.Kernel.H >= 2 && p.Padding.H == 0);
        var e = AssertCaught(() => Laws.Check(cases, p =>
            Laws.Gradient($"max_pool_off_by_one k={p.Kernel.H} s={p.Stride.H}", xs => OffByOnePool(xs[0], p.Kernel.H, p.Stride.H),
                TensorValues.Untied().Inputs([p.InputShape], p.Seed), p.Seed)), "gradient", "max_pool_off_by_one");
        var c = Assert.IsType<Pool2dCase>(e.Case);
        AssertSmall(c.InputShape);
        Assert.Equal((2, 2), c.Kernel);
    }

    [Fact]
    public void LayerGradientLaw_MissingBiasGradient_CaughtAndNamesBias()
    {
        var cases = from k in SquareConv select new LayerCase(new NoBiasGradConv2d(Layer(k)), k.InputShape, k.Seed);
        var e = AssertCaught(() => Laws.CheckLayer(cases, LayerLaw.Gradient), "gradient", "NoBiasGradConv2d");
        var c = Assert.IsType<LayerCase>(e.Case);
        AssertSmall(c.Input);
        Assert.Equal(2, e.Result.GradCheck!.Worst.Input);
        Assert.Contains("worst element of input 2 'bias'", e.Result.Report);
    }

    [Fact]
    public void OutputShapeLaw_StrideIgnored_CaughtWithStrideTwo()
    {
        var cases = from k in SquareConv select new LayerCase(new StrideBlindConv2d(Layer(k)), k.InputShape, k.Seed);
        var e = AssertCaught(() => Laws.CheckLayer(cases, LayerLaw.OutputShape), "output shape", "StrideBlindConv2d");
        var c = Assert.IsType<LayerCase>(e.Case);
        AssertSmall(c.Input);
        Assert.Equal(2, ((StrideBlindConv2d)c.Layer).Conv.Options.StrideH);
        Assert.Contains("but the forward pass returned", e.Message);
    }

    [Fact]
    public void GradientLaw_DirectCallOnBrokenOp_ThrowsWithLocatedElement()
    {
        var x = TensorValues.Normal.Inputs([(Shape)(int[])[2, 3]], seed: 1);
        var r = Laws.Gradient("tanh_wrong_sign", xs => WrongSignTanh(xs[0]), x, seed: 1);
        Assert.False(r.Passed);
        var e = Assert.Throws<LawException>(() => r.ThrowIfFailed());
        Assert.Contains("worst element of input 0 [2, 3]", e.Message);
    }
}
