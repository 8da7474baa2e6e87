using System.Text.Json;
using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Optimizers;

/// <summary>
/// Replays torch.optim trajectories and lr_scheduler sequences made by
/// tools/golden/optimizers/make_optimizer_golden.py (Golden/optimizers.json, Golden/schedules.json).
/// Float64 runs match PyTorch's float64 run to about 1e-12; float32 runs start from the same values rounded
/// to float32 and match PyTorch's float32 run to 1e-5.
/// </summary>
public class OptimizerGoldenTests
{
    private static readonly Lazy<JsonDocument> Optimizers = new(() => Load("optimizers.json"));
    private static readonly Lazy<JsonDocument> Schedules = new(() => Load("schedules.json"));

    private static JsonDocument Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", file)));

    public static TheoryData<string> OptimizerCases() => Names(Optimizers.Value, "cases");
    public static TheoryData<string> ScheduleCases() => Names(Schedules.Value, "cases");
    public static TheoryData<string> ClipCases() => Names(Optimizers.Value, "clip");

    private static TheoryData<string> Names(JsonDocument doc, string section)
    {
        var data = new TheoryData<string>();
        foreach (var c in doc.RootElement.GetProperty(section).EnumerateArray()) data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    private static JsonElement Find(JsonDocument doc, string section, string name)
    {
        foreach (var c in doc.RootElement.GetProperty(section).EnumerateArray())
            if (c.GetProperty("name").GetString() == name) return c;
        throw new KeyNotFoundException(name);
    }

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Step_Float64_MatchesPyTorchTrajectory(string name) => Replay(name, DType.Float64, "f64", rtol: 1e-12, atol: 1e-13);

    [Theory]
    [MemberData(nameof(OptimizerCases))]
    public void Step_Float32_MatchesPyTorchTrajectory(string name) => Replay(name, DType.Float32, "f32", rtol: 1e-5, atol: 1e-6);

    private static void Replay(string name, DType dtype, string key, double rtol, double atol)
    {
        var root = Optimizers.Value.RootElement;
        var c = Find(Optimizers.Value, "cases", name);
        var names = root.GetProperty("names").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var p = Tree(names, root.GetProperty("init"), dtype);
        var optimizer = Build(c.GetProperty("optimizer").GetString()!, c.GetProperty("args"));
        var state = optimizer.Init(p);
        var lrs = c.TryGetProperty("lrs", out var l) ? l.EnumerateArray().Select(e => e.GetDouble()).ToArray() : null;
        var grads = root.GetProperty("grads").EnumerateArray().ToArray();
        var expected = c.GetProperty(key).EnumerateArray().ToArray();
        for (int k = 0; k < grads.Length; k++)
        {
            (p, state) = optimizer.Step(p, Tree(names, grads[k], dtype), state, lrs?[k]);
            AssertTreeClose($"{name} step {k + 1}", Tree(names, expected[k], DType.Float64), p, rtol, atol);
        }
        Assert.Equal(grads.Length, state.Step);
        var buffers = c.GetProperty("state").EnumerateObject().ToArray();
        Assert.Equal(buffers.Select(b => b.Name).Order(), state.BufferNames.Order());
        if (dtype == DType.Float64)
            foreach (var b in buffers)
                AssertTreeClose($"{name} state {b.Name}", Tree(names, b.Value, DType.Float64), state.Buffer(b.Name), rtol, atol);
    }

    private static IOptimizer Build(string kind, JsonElement a)
    {
        double D(string k, double d) => a.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        bool B(string k) => a.TryGetProperty(k, out var v) && v.GetBoolean();
        double Beta(int i, double d) => a.TryGetProperty("betas", out var v) ? v[i].GetDouble() : d;
        return kind switch
        {
            "sgd" => new Sgd(D("lr", 0), D("momentum", 0), D("dampening", 0), B("nesterov"), D("weight_decay", 0)),
            "adam" => new Adam(D("lr", 1e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 0), B("amsgrad")),
            "adamw" => new AdamW(D("lr", 1e-3), Beta(0, 0.9), Beta(1, 0.999), D("eps", 1e-8), D("weight_decay", 1e-2), B("amsgrad")),
            "rmsprop" => new RmsProp(D("lr", 1e-2), D("alpha", 0.99), D("eps", 1e-8), D("weight_decay", 0), D("momentum", 0), B("centered")),
            _ => throw new ArgumentException(kind),
        };
    }

    [Theory]
    [MemberData(nameof(ClipCases))]
    public void Clip_BothPrecisions_MatchPyTorch(string name)
    {
        var root = Optimizers.Value.RootElement;
        var c = Find(Optimizers.Value, "clip", name);
        var names = root.GetProperty("names").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = Tree(names, c.GetProperty("grads"), DType.Float64);
        double max = c.GetProperty("max").GetDouble();
        foreach (var (dtype, tol) in new[] { (DType.Float64, 1e-12), (DType.Float32, 1e-6) })
        {
            var g = Tree(names, root.GetProperty("grads")[0], dtype);
            if (c.GetProperty("kind").GetString() == "norm")
            {
                var (clipped, norm) = Clip.ByGlobalNorm(g, max);
                Assert.Equal(c.GetProperty("total_norm").GetDouble(), norm, tol);
                AssertTreeClose(name, expected, clipped, tol, tol);
            }
            else
                AssertTreeClose(name, expected, Clip.ByValue(g, max), tol, tol);
        }
    }

    [Theory]
    [MemberData(nameof(ScheduleCases))]
    public void LearningRate_MatchesPyTorchScheduler(string name)
    {
        var c = Find(Schedules.Value, "cases", name);
        var a = c.GetProperty("args");
        double D(string k, double d) => a.TryGetProperty(k, out var v) ? v.GetDouble() : d;
        int I(string k) => a.GetProperty(k).GetInt32();
        string S(string k, string d) => a.TryGetProperty(k, out var v) ? v.GetString()! : d;
        double baseLr = D("base_lr", 0);
        var expected = c.GetProperty("lrs").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = new double[expected.Length];
        if (c.GetProperty("schedule").GetString() == "plateau")
        {
            var plateau = new ReduceLROnPlateau(
                S("mode", "min") == "min" ? PlateauMode.Min : PlateauMode.Max, D("factor", 0.1),
                a.TryGetProperty("patience", out var pat) ? pat.GetInt32() : 10, D("threshold", 1e-4),
                S("threshold_mode", "rel") == "rel" ? ThresholdMode.Rel : ThresholdMode.Abs,
                a.TryGetProperty("cooldown", out var cd) ? cd.GetInt32() : 0, D("min_lr", 0));
            var state = plateau.Init(baseLr);
            var metrics = c.GetProperty("metrics").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (int k = 0; k < metrics.Length; k++) (actual[k], state) = plateau.Update(metrics[k], state);
        }
        else
        {
            ISchedule schedule = c.GetProperty("schedule").GetString() switch
            {
                "step" => new StepLR(baseLr, I("step_size"), D("gamma", 0.1)),
                "multistep" => new MultiStepLR(baseLr, a.GetProperty("milestones").EnumerateArray().Select(e => e.GetInt32()), D("gamma", 0.1)),
                "exponential" => new ExponentialLR(baseLr, D("gamma", 0)),
                "cosine" => new CosineAnnealingLR(baseLr, I("total_steps"), D("eta_min", 0), I("warmup_steps"), D("warmup_start_factor", 1.0 / 3)),
                "onecycle" => new OneCycleLR(D("max_lr", 0), I("total_steps"), D("pct_start", 0.3),
                    S("anneal_strategy", "cos") == "cos" ? Anneal.Cos : Anneal.Linear, D("div_factor", 25), D("final_div_factor", 1e4),
                    a.TryGetProperty("three_phase", out var tp) && tp.GetBoolean()),
                var s => throw new ArgumentException(s),
            };
            for (int k = 0; k < expected.Length; k++) actual[k] = schedule.LearningRate(k);
        }
        for (int k = 0; k < expected.Length; k++)
            Assert.True(Math.Abs(actual[k] - expected[k]) <= 1e-12 * Math.Abs(expected[k]) + 1e-15,
                $"{name}: step {k} lr {actual[k]:R}, PyTorch {expected[k]:R}");
    }

    private static ParamTree<Tensor> Tree(string[] names, JsonElement tensors, DType dtype)
    {
        var pairs = new List<KeyValuePair<string, Tensor>>();
        int i = 0;
        foreach (var t in tensors.EnumerateArray())
        {
            var shape = t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var data = t.GetProperty("data").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            pairs.Add(KeyValuePair.Create(names[i++], Tensor.FromArray(data, shape).Cast(dtype)));
        }
        return ParamTree.FromPairs(pairs);
    }

    internal static void AssertTreeClose(string what, ParamTree<Tensor> expected, ParamTree<Tensor> actual, double rtol, double atol)
    {
        Assert.Equal(expected.Paths, actual.Paths);
        for (int i = 0; i < expected.Count; i++)
        {
            var (path, e) = expected[i];
            var a = actual[i].Value;
            Assert.True(e.Shape == a.Shape, $"{what} {path}: shape {a.Shape}, expected {e.Shape}");
            for (int j = 0; j < e.Size; j++)
                Assert.True(Math.Abs(a.At(j) - e.At(j)) <= atol + rtol * Math.Abs(e.At(j)),
                    $"{what} {path}[{j}]: {a.At(j):R}, expected {e.At(j):R} (diff {Math.Abs(a.At(j) - e.At(j)):E2})");
        }
    }
}
