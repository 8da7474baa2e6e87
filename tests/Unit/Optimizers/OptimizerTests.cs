using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Optimizers;

public class OptimizerTests
{
    private static ParamTree<Tensor> Params(DType dtype = DType.Float64) => ParamTree.Of(
        ("features", ParamTree.Of(("0", ParamTree.Of(
            ("weight", Tensor.FromArray([0.5, -1.0, 2.0, 0.25, -0.75, 1.5], [3, 2]).Cast(dtype)),
            ("bias", Tensor.FromArray([0.1, -0.2, 0.3, -0.4]).Cast(dtype)))))),
        ("head", Tensor.FromArray([1.0, 2.0, -3.0], [3]).Cast(dtype)));

    private static ParamTree<Tensor> Grads(int k, DType dtype = DType.Float64) =>
        Params(dtype).Map(t => Tensor.Generate(t.Shape, dtype, i => Math.Sin(1.3 * i + 0.7 * k + t.Size)));

    public static TheoryData<string> Configurations() => [.. AllOptimizers().Keys];

    private static Dictionary<string, IOptimizer> AllOptimizers() => new()
    {
        ["sgd"] = new Sgd(0.1),
        ["sgd momentum"] = new Sgd(0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01),
        ["sgd nesterov"] = new Sgd(0.05, momentum: 0.9, nesterov: true),
        ["adam"] = new Adam(0.05),
        ["adam amsgrad"] = new Adam(0.05, weightDecay: 0.01, amsgrad: true),
        ["adamw"] = new AdamW(0.05, weightDecay: 0),
        ["adamw amsgrad"] = new AdamW(0.05, amsgrad: true),
        ["rmsprop"] = new RmsProp(0.05),
        ["rmsprop centered momentum"] = new RmsProp(0.01, weightDecay: 0.01, momentum: 0.9, centered: true),
    };

    // ---- purity and state as a value ----

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Step_Inputs_AreLeftUnchanged(string name)
    {
        var opt = AllOptimizers()[name];
        var p = Params();
        var (p1, s1) = opt.Step(p, Grads(0), opt.Init(p));
        var before = Snapshot(p, Grads(1), s1.Flatten());
        var (p2a, s2a) = opt.Step(p1, Grads(1), s1);
        var (p2b, s2b) = opt.Step(p1, Grads(1), s1);
        Assert.Equal(Snapshot(p, Grads(1), s1.Flatten()), before);
        Assert.Equal(Snapshot(p2a, s2a.Flatten()), Snapshot(p2b, s2b.Flatten()));
        Assert.NotEqual(Snapshot(p1), Snapshot(p2a));
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Restore_FlattenedState_GivesIdenticalNextSteps(string name)
    {
        var opt = AllOptimizers()[name];
        var p = Params();
        var state = opt.Init(p);
        for (int k = 0; k < 3; k++) (p, state) = opt.Step(p, Grads(k), state);

        var flat = state.Flatten();
        var restored = OptimizerState.Restore(state.Step, flat);

        Assert.Equal(state.BufferNames, restored.BufferNames);
        Assert.Equal(3, restored.Step);
        var (pa, sa) = opt.Step(p, Grads(3), state);
        var (pb, sb) = opt.Step(p, Grads(3), restored);
        Assert.Equal(Snapshot(pa, sa.Flatten()), Snapshot(pb, sb.Flatten()));
    }

    [Fact]
    public void Flatten_Adam_UsesBufferDotParameterPaths()
    {
        var p = Params();
        var (_, state) = new Adam(amsgrad: true).Step(p, Grads(0), new Adam(amsgrad: true).Init(p));
        Assert.Equal(
            ["exp_avg.features.0.weight", "exp_avg.features.0.bias", "exp_avg.head",
             "exp_avg_sq.features.0.weight", "exp_avg_sq.features.0.bias", "exp_avg_sq.head",
             "max_exp_avg_sq.features.0.weight", "max_exp_avg_sq.features.0.bias", "max_exp_avg_sq.head"],
            state.Flatten().Paths);
        Assert.Equal(1, state.Step);
    }

    [Fact]
    public void Init_SgdWithoutMomentum_HasNoBuffers()
    {
        var state = new Sgd(0.1).Init(Params());
        Assert.Empty(state.BufferNames);
        Assert.Empty(state.Flatten());
    }

    [Fact]
    public void Step_SgdMomentum_FirstBufferIsTheGradient()
    {
        var p = Params();
        var g = Grads(0);
        var (p1, s1) = new Sgd(0.1, momentum: 0.9, dampening: 0.5).Step(p, g, new Sgd(0.1, momentum: 0.9, dampening: 0.5).Init(p));
        Assert.Equal(Snapshot(g), Snapshot(s1.Buffer("momentum_buffer")));
        Assert.Equal(p["head"].At(0) - 0.1 * g["head"].At(0), p1["head"].At(0), 15);
    }

    [Fact]
    public void Step_LearningRateOverride_ReplacesOwnRate()
    {
        var p = Params();
        var (a, _) = new Sgd(0.1).Step(p, Grads(0), OptimizerState.Create(0), learningRate: 0.3);
        var (b, _) = new Sgd(0.3).Step(p, Grads(0), OptimizerState.Create(0));
        Assert.Equal(Snapshot(b), Snapshot(a));
    }

    [Fact]
    public void Step_AdamFirstStep_MovesEachElementByTheLearningRate()
    {
        // With bias correction, m̂ / sqrt(v̂) = g / |g| on the first step, so p moves by lr * sign(g) (eps aside).
        var p = Params();
        var g = Grads(0);
        var (p1, _) = new Adam(0.01, eps: 0).Step(p, g, new Adam(0.01, eps: 0).Init(p));
        for (int i = 0; i < 3; i++)
            Assert.Equal(p["head"].At(i) - 0.01 * Math.Sign(g["head"].At(i)), p1["head"].At(i), 14);
    }

    [Fact]
    public void Step_AdamWZeroGradient_OnlyDecays()
    {
        var p = Params();
        var zero = p.Map(t => Tensor.Zeros(t.Shape, t.DType));
        var (p1, _) = new AdamW(0.1, weightDecay: 0.5).Step(p, zero, new AdamW(0.1, weightDecay: 0.5).Init(p));
        for (int i = 0; i < 3; i++) Assert.Equal(p["head"].At(i) * 0.95, p1["head"].At(i), 15);
    }

    [Fact]
    public void Step_Float32Tree_StaysFloat32()
    {
        var p = Params(DType.Float32);
        var (p1, s1) = new Adam().Step(p, Grads(0, DType.Float32), new Adam().Init(p));
        Assert.All(p1.Values, t => Assert.Equal(DType.Float32, t.DType));
        Assert.All(s1.Flatten().Values, t => Assert.Equal(DType.Float32, t.DType));
    }

    // ---- validation ----

    [Fact]
    public void Constructors_BadSettings_ThrowNamingTheSetting()
    {
        Assert.Contains("learningRate >= 0 but got -0.1", Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd(-0.1)).Message);
        Assert.Contains("learningRate >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(double.NaN)).Message);
        Assert.Contains("beta1 in [0, 1) but got 1", Assert.Throws<ArgumentOutOfRangeException>(() => new Adam(beta1: 1)).Message);
        Assert.Contains("beta2 in [0, 1) but got -0.5", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(beta2: -0.5)).Message);
        Assert.Contains("weightDecay >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW(weightDecay: -1)).Message);
        Assert.Contains("momentum >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(momentum: -0.9)).Message);
        Assert.Contains("eps >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new RmsProp(eps: -1e-8)).Message);
    }

    [Fact]
    public void Sgd_NesterovWithoutMomentumOrWithDampening_Throws()
    {
        var a = Assert.Throws<ArgumentException>(() => new Sgd(0.1, nesterov: true));
        Assert.Contains("nesterov needs momentum > 0 and dampening = 0 but got momentum 0", a.Message);
        var b = Assert.Throws<ArgumentException>(() => new Sgd(0.1, momentum: 0.9, dampening: 0.1, nesterov: true));
        Assert.Contains("dampening 0.1", b.Message);
    }

    [Fact]
    public void Step_NegativeLearningRateOverride_Throws()
    {
        var p = Params();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new Adam().Step(p, Grads(0), new Adam().Init(p), learningRate: -1));
        Assert.Contains("Adam.Step needs a learning rate >= 0 but got -1 (passed to Step)", ex.Message);
    }

    [Fact]
    public void Step_GradientTreeWithOtherPaths_NamesTheDifference()
    {
        var p = Params();
        var g = Grads(0).Filter((path, _) => path != "head").With("tail", Tensor.Zeros([3], DType.Float64));
        var ex = Assert.Throws<ArgumentException>(() => new Sgd(0.1).Step(p, g, OptimizerState.Create(0)));
        Assert.Contains("Sgd.Step expects the gradient tree", ex.Message);
        Assert.Contains("missing [head] and extra [tail]", ex.Message);
    }

    [Fact]
    public void Step_GradientOfOtherShapeOrType_NamesThePath()
    {
        var p = Params();
        var shape = Assert.Throws<ArgumentException>(() => new Sgd(0.1).Step(p, Grads(0).With("head", Tensor.Zeros([4], DType.Float64)), OptimizerState.Create(0)));
        Assert.Contains("gradient at 'head' to be f64[3] like the parameter but got f64[4]", shape.Message);
        var type = Assert.Throws<ArgumentException>(() => new Sgd(0.1).Step(p, Grads(0).With("head", Tensor.Zeros([3])), OptimizerState.Create(0)));
        Assert.Contains("but got f32[3]", type.Message);
    }

    [Fact]
    public void Step_StateFromAnotherOptimizer_Throws()
    {
        var p = Params();
        var ex = Assert.Throws<ArgumentException>(() => new Adam().Step(p, Grads(0), new Sgd(0.1, momentum: 0.9).Init(p)));
        Assert.Contains("Adam.Step expects state buffers [exp_avg, exp_avg_sq] but the state has [momentum_buffer]", ex.Message);
    }

    [Fact]
    public void Step_StateForAnotherModel_Throws()
    {
        var p = Params();
        var state = new Adam().Init(p.Filter((path, _) => path != "head"));
        var ex = Assert.Throws<ArgumentException>(() => new Adam().Step(p, Grads(0), state));
        Assert.Contains("state buffer 'exp_avg' tree", ex.Message);
    }

    [Fact]
    public void Restore_PathWithoutBufferName_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => OptimizerState.Restore(1, ParamTree.Of(("weight", Tensor.Zeros([2])))));
        Assert.Contains("expects paths 'buffer.parameterPath'", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => OptimizerState.Create(-1));
    }

    // ---- clipping ----

    [Fact]
    public void ByGlobalNorm_AboveMax_ScalesAllLeavesTogether()
    {
        var g = ParamTree.Of(("a", Tensor.FromArray([3.0])), ("b", Tensor.FromArray([0.0, 4.0])));
        var (clipped, norm) = Clip.ByGlobalNorm(g, 1.0);
        Assert.Equal(5.0, norm);
        double c = 1.0 / (5.0 + 1e-6);
        Assert.Equal(3 * c, clipped["a"].At(0), 15);
        Assert.Equal(4 * c, clipped["b"].At(1), 15);
        Assert.Equal(0.0, clipped["b"].At(0));
    }

    [Fact]
    public void ByGlobalNorm_BelowMax_ReturnsGradientsUnchanged()
    {
        var g = ParamTree.Of(("a", Tensor.FromArray([3f])), ("b", Tensor.FromArray([0f, 4f])));
        var (clipped, norm) = Clip.ByGlobalNorm(g, 6.0);
        Assert.Equal(5.0, norm, 6);
        Assert.Same(g, clipped);
        Assert.Equal(0.0, Clip.ByGlobalNorm(ParamTree<Tensor>.Empty, 1.0).TotalNorm);
    }

    [Fact]
    public void ByValue_ClampsEachElement()
    {
        var g = ParamTree.Of(("a", Tensor.FromArray([-3.0, -0.5, 0.25, 2.0])));
        Assert.Equal([-1.0, -0.5, 0.25, 1.0], Clip.ByValue(g, 1.0)["a"].ToDoubleArray());
    }

    [Fact]
    public void Clip_NegativeLimits_Throw()
    {
        var g = ParamTree.Of(("a", Tensor.FromArray([1.0])));
        Assert.Contains("Clip.ByGlobalNorm needs maxNorm >= 0 but got -1", Assert.Throws<ArgumentOutOfRangeException>(() => Clip.ByGlobalNorm(g, -1)).Message);
        Assert.Contains("Clip.ByValue needs clipValue >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => Clip.ByValue(g, -1)).Message);
    }

    // ---- end to end ----

    [Theory]
    [MemberData(nameof(Configurations))]
    public void Step_QuadraticWithCosineSchedule_Converges(string name)
    {
        var opt = AllOptimizers()[name];
        var target = ParamTree.Of(("w", Tensor.FromArray([1.5f, -2f, 0.5f, 3f], [2, 2])), ("b", Tensor.FromArray([-1f, 0.25f])));
        var p = target.Map(t => Tensor.Zeros(t.Shape));
        var schedule = new CosineAnnealingLR(opt.LearningRate, totalSteps: 600, warmupSteps: 10);
        var state = opt.Init(p);
        Func<ParamTree<Var>, Var> loss = q => Op.Sum(Op.Square(q["w"] - target["w"])) + Op.Sum(Op.Square(q["b"] - target["b"]));
        double first = double.NaN, last = double.NaN;
        for (int k = 0; k < 600; k++)
        {
            var (value, grads) = Diff.ValueAndGrad(loss, p);
            if (k == 0) first = value.ToScalar();
            last = value.ToScalar();
            (p, state) = opt.Step(p, grads, state, schedule.LearningRate(k));
        }
        Assert.True(last < 1e-3 * first, $"{name}: loss went from {first} to {last}");
        Assert.True(p["w"].MaxAbsDiff(target["w"]) < 0.05, $"{name}: w = {p["w"]}");
    }

    private static string Snapshot(params ParamTree<Tensor>[] trees) =>
        string.Join(" | ", trees.SelectMany(t => t.Select(kv => kv.Key + "=" + string.Join(",", kv.Value.ToDoubleArray().Select(v => v.ToString("R"))))));
}
