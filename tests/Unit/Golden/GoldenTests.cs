using System.Text.Json;
using Cnn.Autodiff;

namespace Cnn.Unit.Golden;

/// <summary>
/// Golden values from PyTorch: forward outputs and vector-Jacobian products for each primitive family,
/// made by tools/golden/make_golden.py (float64) and committed as JSON beside this file. Each case is
/// checked in float64 (tight) and float32 (inputs rounded to float32, looser tolerance).
/// </summary>
public class GoldenTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var family in Families)
            foreach (var c in Load(family))
                data.Add(family, c.Name);
        return data;
    }

    private static readonly string[] Families = ["elementwise", "reductions", "shapes", "matmul", "conv", "pool", "losses", "batchnorm"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_Float64_MatchesPyTorch(string family, string name) => Verify(Find(family, name), DType.Float64, rtol: 1e-9, atol: 1e-10);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Golden_Float32_MatchesPyTorch(string family, string name) => Verify(Find(family, name), DType.Float32, rtol: 2e-4, atol: 2e-4);

    private static void Verify(GoldenCase c, DType dtype, double rtol, double atol)
    {
        var xs = c.Inputs.Select(i => new Var(i.ToTensor(dtype))).ToArray();
        var f = Build(c, dtype);
        var (y, pullback) = Diff.Vjp(f, xs);
        AssertClose($"{c.Name}: output", c.Output.ToTensor(DType.Float64), y.Value, rtol, atol);
        var grads = pullback(c.Cotangent.ToTensor(dtype));
        for (int i = 0; i < xs.Length; i++)
            AssertClose($"{c.Name}: gradient of input {i}", c.Grads[i].ToTensor(DType.Float64), grads[i].Value, rtol, atol);
        if (c.Op == "batch_norm_train")
        {
            var r = Op.BatchNorm(xs[0], xs[1], xs[2], c.RunningMean!.ToTensor(dtype), c.RunningVar!.ToTensor(dtype), training: true, c.Args.GetProperty("momentum").GetDouble(), c.Args.GetProperty("eps").GetDouble());
            AssertClose($"{c.Name}: running mean", c.NewRunningMean!.ToTensor(DType.Float64), r.RunningMean!, rtol, atol);
            AssertClose($"{c.Name}: running var", c.NewRunningVar!.ToTensor(DType.Float64), r.RunningVar!, rtol, atol);
        }
    }

    private static void AssertClose(string what, Tensor expected, Tensor actual, double rtol, double atol)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, PyTorch {expected.Shape}");
        for (int i = 0; i < expected.Size; i++)
        {
            double e = expected.At(i), a = actual.At(i);
            Assert.True(Math.Abs(e - a) <= atol + rtol * Math.Abs(e), $"{what}: element {i} is {a}, PyTorch {e}");
        }
    }

    private static Func<IReadOnlyList<Var>, Var> Build(GoldenCase c, DType dtype)
    {
        var a = c.Args;
        int I(string k) => a.GetProperty(k).GetInt32();
        double D(string k) => a.GetProperty(k).GetDouble();
        int[] Ints(string k) => a.GetProperty(k).EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[]? Axes() => Ints("axes") is { Length: > 0 } ax ? ax : null;
        Reduction Red() => a.GetProperty("reduction").GetString() switch { "mean" => Reduction.Mean, "sum" => Reduction.Sum, _ => Reduction.None };
        Var? Bias(IReadOnlyList<Var> xs) => xs.Count > 2 ? xs[2] : null;
        var labels = c.Labels ?? [];
        return c.Op switch
        {
            "add" => xs => xs[0] + xs[1],
            "sub" => xs => xs[0] - xs[1],
            "mul" => xs => xs[0] * xs[1],
            "div" => xs => xs[0] / xs[1],
            "neg" => xs => -xs[0],
            "exp" => xs => Op.Exp(xs[0]),
            "log" => xs => Op.Log(xs[0]),
            "sqrt" => xs => Op.Sqrt(xs[0]),
            "square" => xs => Op.Square(xs[0]),
            "pow" => xs => Op.Pow(xs[0], D("p")),
            "abs" => xs => Op.Abs(xs[0]),
            "relu" => xs => Op.Relu(xs[0]),
            "leaky_relu" => xs => Op.LeakyRelu(xs[0], D("slope")),
            "sigmoid" => xs => Op.Sigmoid(xs[0]),
            "tanh" => xs => Op.Tanh(xs[0]),
            "sum" => xs => Op.Sum(xs[0], Axes(), a.GetProperty("keepDims").GetBoolean()),
            "mean" => xs => Op.Mean(xs[0], Axes(), a.GetProperty("keepDims").GetBoolean()),
            "max" => xs => Op.Max(xs[0], Axes(), a.GetProperty("keepDims").GetBoolean()),
            "logsumexp" => xs => Op.LogSumExp(xs[0], Axes(), a.GetProperty("keepDims").GetBoolean()),
            "reshape" => xs => Op.Reshape(xs[0], Ints("shape")),
            "flatten" => xs => Op.Flatten(xs[0], I("start"), I("end")),
            "permute" => xs => Op.Permute(xs[0], Ints("dims")),
            "transpose" => xs => Op.Transpose(xs[0], I("dim0"), I("dim1")),
            "concat" => xs => Op.Concat(xs, I("axis")),
            "slice" => xs => Op.Slice(xs[0], I("axis"), I("start"), I("end"), I("step")),
            "pad" => xs => Op.Pad(xs[0], Ints("pads"), Enum.Parse<PadMode>(a.GetProperty("mode").GetString()!)),
            "matmul" => xs => Op.MatMul(xs[0], xs[1]),
            "linear" => xs => Op.Linear(xs[0], xs[1], Bias(xs)),
            "conv2d" => xs => Op.Conv2d(xs[0], xs[1], Bias(xs), I("stride"), I("padding"), I("dilation"), I("groups")),
            "conv2d_same" => xs => Op.Conv2d(xs[0], xs[1], null, "same"),
            "conv2d_pads" => xs => Op.Conv2d(xs[0], xs[1], Bias(xs), Conv2dOptions.Create() with { PadTop = I("top"), PadBottom = I("bottom"), PadLeft = I("left"), PadRight = I("right") }),
            "conv_transpose2d" => xs => Op.ConvTranspose2d(xs[0], xs[1], Bias(xs), I("stride"), I("padding"), I("outputPadding"), I("dilation"), I("groups")),
            "max_pool2d" => xs => Op.MaxPool2d(xs[0], I("kernel"), I("stride"), I("padding"), I("dilation")),
            "avg_pool2d" => xs => Op.AvgPool2d(xs[0], I("kernel"), I("stride"), I("padding"), a.GetProperty("countIncludePad").GetBoolean()),
            "adaptive_avg_pool2d" => xs => Op.AdaptiveAvgPool2d(xs[0], I("outH"), I("outW")),
            "global_avg_pool2d" => xs => Op.GlobalAvgPool2d(xs[0]),
            "softmax" => xs => Op.Softmax(xs[0], I("axis")),
            "log_softmax" => xs => Op.LogSoftmax(xs[0], I("axis")),
            "cross_entropy" => xs => Op.CrossEntropy(xs[0], labels, Red(), D("smoothing")),
            "nll" => xs => Op.Nll(xs[0], labels, Red()),
            "mse" => xs => Op.MseLoss(xs[0], xs[1], Red()),
            "bce_with_logits" => xs => Op.BinaryCrossEntropyWithLogits(xs[0], xs[1], Red()),
            "batch_norm_train" => xs => Op.BatchNorm(xs[0], xs[1], xs[2], c.RunningMean!.ToTensor(dtype), c.RunningVar!.ToTensor(dtype), training: true, D("momentum"), D("eps")).Output,
            "batch_norm_eval" => xs => Op.BatchNorm(xs[0], xs[1], xs[2], c.RunningMean!.ToTensor(dtype), c.RunningVar!.ToTensor(dtype), training: false, eps: D("eps")).Output,
            _ => throw new NotSupportedException($"Golden case '{c.Name}' has op '{c.Op}', which the test does not know."),
        };
    }

    private static GoldenCase Find(string family, string name) => Load(family).Single(c => c.Name == name);

    private static readonly Dictionary<string, GoldenCase[]> Cache = new();

    private static GoldenCase[] Load(string family)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(family, out var cached)) return cached;
            var path = Path.Combine(AppContext.BaseDirectory, "Golden", family + ".json");
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var cases = doc.RootElement.GetProperty("cases").EnumerateArray().Select(GoldenCase.Parse).ToArray();
            return Cache[family] = cases;
        }
    }
}

/// <summary>One golden case as written by tools/golden/make_golden.py.</summary>
internal sealed record GoldenCase(string Name, string Op, JsonElement Args, GoldenTensor[] Inputs, GoldenTensor Output,
    GoldenTensor Cotangent, GoldenTensor[] Grads, int[]? Labels, GoldenTensor? RunningMean, GoldenTensor? RunningVar,
    GoldenTensor? NewRunningMean, GoldenTensor? NewRunningVar)
{
    public static GoldenCase Parse(JsonElement e)
    {
        GoldenTensor? Opt(string k) => e.TryGetProperty(k, out var v) ? GoldenTensor.Parse(v) : null;
        return new(e.GetProperty("name").GetString()!, e.GetProperty("op").GetString()!, e.GetProperty("args").Clone(),
            e.GetProperty("inputs").EnumerateArray().Select(GoldenTensor.Parse).ToArray(), GoldenTensor.Parse(e.GetProperty("output")),
            GoldenTensor.Parse(e.GetProperty("cotangent")), e.GetProperty("grads").EnumerateArray().Select(GoldenTensor.Parse).ToArray(),
            e.TryGetProperty("labels", out var l) ? l.EnumerateArray().Select(v => v.GetInt32()).ToArray() : null,
            Opt("runningMean"), Opt("runningVar"), Opt("newRunningMean"), Opt("newRunningVar"));
    }
}

/// <summary>A tensor in a golden file: shape and row-major float64 data.</summary>
internal sealed record GoldenTensor(int[] Shape, double[] Data)
{
    public static GoldenTensor Parse(JsonElement e) =>
        new(e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            e.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray());

    public Tensor ToTensor(DType dtype) => Tensor.FromArray(Data, Shape).Cast(dtype);
}
