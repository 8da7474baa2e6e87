using System.Text.Json;
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Cnn.Layers;

namespace Cnn.Unit.Facade.Checkpoints;

/// <summary>
/// Checkpoints written by PyTorch (tools/pytorch/export_fashion_lenet.py, state_dict saved as safetensors) load
/// into the C# models and give PyTorch's logits for the same inputs.
/// </summary>
public class PyTorchInteropTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "Facade", "Checkpoints", "data", name);

    private static (Tensor Input, Tensor Logits) Golden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Data(name)));
        static Tensor Read(JsonElement e) => Tensor.FromArray(
            e.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
            e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray());
        return (Read(doc.RootElement.GetProperty("input")), Read(doc.RootElement.GetProperty("logits")));
    }

    /// <summary>
    /// Every logit within <paramref name="rtol"/> of the largest logit's magnitude: freshly initialised networks give
    /// logits near 0.05, so a tolerance relative to each element or an absolute 1e-4 would not notice a wrong weight.
    /// </summary>
    private static void AssertClose(Tensor expected, Tensor actual, double rtol)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        double scale = 0;
        for (int i = 0; i < expected.Size; i++) scale = Math.Max(scale, Math.Abs(expected.At(i)));
        for (int i = 0; i < expected.Size; i++)
            Assert.True(Math.Abs(expected.At(i) - actual.At(i)) <= rtol * scale,
                $"logit {i}: C# {actual.At(i)}, PyTorch {expected.At(i)} (tolerance {rtol * scale})");
    }

    private static Sequential FashionLeNet() => new(
        new Conv2d(1, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
        new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10));

    [Fact]
    public void Load_PyTorchFashionLeNet_GivesPyTorchLogits()
    {
        var net = FashionLeNet();
        var loaded = Checkpoint.Load(Data("fashion_lenet.safetensors"), net.Init(Rng.Seed(0)), net.InitState());
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias", "9.weight", "9.bias"], loaded.Parameters.Paths);
        Assert.Equal("tools/pytorch/export_fashion_lenet.py", loaded.Metadata["source"]);

        var (x, logits) = Golden("fashion_lenet.golden.json");
        AssertClose(logits, net.Apply(loaded.Parameters, x), 1e-4);
    }

    [Fact]
    public void Load_PyTorchFashionLeNet_SaveAgain_IsBitIdentical()
    {
        var net = FashionLeNet();
        var loaded = Checkpoint.Load(Data("fashion_lenet.safetensors"), net.Init(Rng.Seed(0)), net.InitState());
        var dir = Path.Combine(Path.GetTempPath(), "cnn-lenet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var path = Path.Combine(dir, "lenet.safetensors");
            Checkpoint.Save(path, loaded.Parameters, loaded.State);
            var again = Checkpoint.Read(path).Tensors;
            CheckpointFiles.AssertTreesBitEqual(loaded.Parameters, again);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// nn.Sequential(Conv2d(1, 4, 3), BatchNorm2d(4), ReLU(), Flatten(), Linear(144, 3)) in eval mode, written
    /// with Op.BatchNorm on the loaded running statistics.
    /// </summary>
    private static Tensor TinyBatchNormNet(ParamTree<Tensor> p, ParamTree<Tensor> s, Tensor x)
    {
        var h = Op.Conv2d(new Var(x), new Var(p["0.weight"]), new Var(p["0.bias"]));
        h = Op.BatchNorm(h, new Var(p["1.weight"]), new Var(p["1.bias"]), s["1.running_mean"], s["1.running_var"], training: false).Output;
        return Op.Linear(Op.Flatten(Op.Relu(h)), new Var(p["4.weight"]), new Var(p["4.bias"])).Value;
    }

    private static readonly ParamTree<Tensor> TinyParams = ParamTree.Of(
        ("0.weight", Tensor.Zeros([4, 1, 3, 3])), ("0.bias", Tensor.Zeros([4])),
        ("1.weight", Tensor.Zeros([4])), ("1.bias", Tensor.Zeros([4])),
        ("4.weight", Tensor.Zeros([3, 144])), ("4.bias", Tensor.Zeros([3])));

    private static readonly ParamTree<Tensor> TinyState = ParamTree.Of(
        ("1.running_mean", Tensor.Zeros([4])), ("1.running_var", Tensor.Ones([4])));

    [Fact]
    public void Load_PyTorchBatchNormModel_GivesPyTorchEvalLogits()
    {
        var loaded = Checkpoint.Load(Data("tiny_bn.safetensors"), TinyParams, TinyState);
        Assert.Equal<string>(["1.num_batches_tracked"], loaded.Report.Ignored);
        Assert.NotEqual(new float[4], loaded.State["1.running_mean"].ToFloatArray());

        var (x, logits) = Golden("tiny_bn.golden.json");
        AssertClose(logits, TinyBatchNormNet(loaded.Parameters, loaded.State, x), 1e-4);
    }

    [Fact]
    public void Read_PyTorchBatchCounter_IsInt64ScalarAsFloat64()
    {
        var counter = Checkpoint.Read(Data("tiny_bn.safetensors")).Tensors["1.num_batches_tracked"];
        Assert.Equal(DType.Float64, counter.DType);
        Assert.Equal(0, counter.Rank);
        Assert.Equal(3.0, counter.ToScalar());
    }

    [Fact]
    public void Load_ExpectingBatchCounter_LoadsItLikeAnyEntry()
    {
        var state = TinyState.With("1.num_batches_tracked", Tensor.Scalar(0, DType.Float64));
        var loaded = Checkpoint.Load(Data("tiny_bn.safetensors"), TinyParams, state);
        Assert.Empty(loaded.Report.Ignored);
        Assert.Equal(3.0, loaded.State["1.num_batches_tracked"].ToScalar());
    }
}
