using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;
using L = Cnn.Layers;

namespace Cnn.Unit.Reliability;

/// <summary>
/// Bad input at every public entry point, as one table: each row calls an op, layer or facade function with a
/// bad argument and states the exception type and the fragments its message must hold — the op or layer's name,
/// what it expected, what it got and, where there is one, the likely fix. The exception types are documented in
/// docs/errors.md.
/// </summary>
public sealed class ValidationTableTests : IDisposable
{
    private sealed record Row(Action Act, Type Expected, string[] Fragments);

    private static readonly string Dir = Path.Combine(Path.GetTempPath(), "cnn-validation-" + Guid.NewGuid().ToString("N"));

    public ValidationTableTests() => Directory.CreateDirectory(Dir);

    public void Dispose()
    {
        if (Directory.Exists(Dir)) Directory.Delete(Dir, recursive: true);
    }

    private static Var F32(params int[] shape) => new(Tensor.Ones(shape));

    private static Var F64(params int[] shape) => new(Tensor.Ones(shape, DType.Float64));

    private static Var Image(int n = 2, int c = 3, int h = 8, int w = 8) => new(Tensor.RandomNormal(Rng.Seed(1), [n, c, h, w]));

    private static readonly Type Arg = typeof(ArgumentException);
    private static readonly Type ArgRange = typeof(ArgumentOutOfRangeException);
    private static readonly Type Mismatch = typeof(CheckpointMismatchException);

    private static Row R(Action act, Type expected, params string[] fragments) => new(act, expected, fragments);

    private static L.LayerResult Forward(L.ILayer layer, Var x, bool train = false)
    {
        var p = layer.Init(Rng.Seed(0)).Map(t => new Var(t));
        var ctx = train ? L.LayerContext.Train(Rng.Seed(1), layer.InitState()) : L.LayerContext.Eval(layer.InitState());
        return layer.Forward(p, x, ctx);
    }

    private static string SavedLinear()
    {
        var path = Path.Combine(Dir, Guid.NewGuid().ToString("N") + ".safetensors");
        var layer = new L.Linear(4, 3);
        Checkpoint.Save(path, layer.Init(Rng.Seed(0)), ParamTree<Tensor>.Empty);
        return path;
    }

    private static readonly Dictionary<string, Row> Rows = new()
    {
        // Shapes: wrong rank.
        ["Conv2d input rank 3"] = R(() => Op.Conv2d(F32(3, 8, 8), F32(4, 3, 3, 3)), Arg, "Conv2d", "[N, C, H, W]", "[3, 8, 8]"),
        ["Conv2d weight rank 2"] = R(() => Op.Conv2d(Image(), F32(4, 3)), Arg, "Conv2d", "weight", "[4, 3]"),
        ["ConvTranspose2d input rank 2"] = R(() => Op.ConvTranspose2d(F32(3, 8), F32(3, 4, 3, 3)), Arg, "ConvTranspose2d", "[3, 8]"),
        ["MaxPool2d input rank 2"] = R(() => Op.MaxPool2d(F32(8, 8), 2), Arg, "MaxPool2d", "[N, C, H, W]", "[8, 8]", "[1, 1, H, W]"),
        ["AvgPool2d input rank 3"] = R(() => Op.AvgPool2d(F32(1, 8, 8), 2), Arg, "AvgPool2d", "[N, C, H, W]", "[1, 8, 8]"),
        ["AdaptiveAvgPool2d input rank 2"] = R(() => Op.AdaptiveAvgPool2d(F32(8, 8), 1, 1), Arg, "AdaptiveAvgPool2d", "[8, 8]"),
        ["BatchNorm input rank 1"] = R(() => Op.BatchNorm(F32(4), null, null, null, null, training: true), Arg, "BatchNorm", "[N, C]", "[4]"),
        ["MatMul scalar operand"] = R(() => Op.MatMul(F32(), F32(3)), Arg, "MatMul", "rank at least 1", "Multiply"),
        ["Linear weight rank 1"] = R(() => Op.Linear(F32(2, 4), F32(4)), Arg, "Linear", "[out, in]", "[4]"),
        ["CrossEntropy logits rank 3"] = R(() => Op.CrossEntropy(F32(2, 3, 4), [0, 1]), Arg, "CrossEntropy", "[N, C]", "[2, 3, 4]", "Reshape"),
        ["Nll logProbs rank 1"] = R(() => Op.Nll(F32(3), [0, 1, 2]), Arg, "Nll", "[N, C]", "[3]"),
        ["Softmax axis out of range"] = R(() => Op.Softmax(F32(2, 3), 2), Arg, "Softmax", "axis 2", "[-2, 1]"),
        ["Sum axis out of range"] = R(() => Op.Sum(F32(2, 3), [2]), Arg, "Sum", "axis 2", "[2, 3]", "[-2, 1]"),
        ["Mean axis out of range"] = R(() => Op.Mean(F32(2, 3), [-3]), Arg, "Mean", "axis -3", "[-2, 1]"),
        ["Max axis out of range"] = R(() => Op.Max(F32(2, 3), [5]), Arg, "Max", "axis 5", "[2, 3]"),
        ["Concat axis out of range"] = R(() => Op.Concat([F32(2, 3), F32(2, 3)], 2), Arg, "Concat", "axis 2", "[-2, 1]"),
        ["Transpose axis out of range"] = R(() => Op.Transpose(F32(2, 3), 0, 2), Arg, "Transpose", "axis 2", "[2, 3]"),
        ["Slice axis out of range"] = R(() => Op.Slice(F32(2, 3), 3, 0, 1), Arg, "Slice", "axis 3", "[2, 3]"),
        ["ArgMax axis out of range"] = R(() => Op.ArgMax(Tensor.Zeros([2, 3]), 2), Arg, "ArgMax", "axis 2", "[2, 3]"),
        ["Flatten scalar"] = R(() => Op.Flatten(F32()), Arg, "Flatten", "scalar", "Reshape"),
        ["Permute wrong count"] = R(() => Op.Permute(F32(2, 3), 0), Arg, "Permute", "[2, 3]", "[0]"),
        ["Reshape size mismatch"] = R(() => Op.Reshape(F32(2, 3), 4, 2), Arg, "Reshape", "[2, 3]", "[4, 2]", "6"),
        // Shapes: channel mismatch.
        ["Conv2d channel mismatch"] = R(() => Op.Conv2d(Image(c: 1), F32(16, 3, 3, 3)), Arg, "Conv2d", "[N, 3, H, W]", "[2, 1, 8, 8]", "3 input channels"),
        ["Conv2d bias length"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), F32(5)), Arg, "Conv2d", "bias [4]", "[5]"),
        ["ConvTranspose2d channel mismatch"] = R(() => Op.ConvTranspose2d(Image(c: 2), F32(3, 4, 3, 3)), Arg, "ConvTranspose2d", "[N, 3, H, W]", "[2, 2, 8, 8]"),
        ["BatchNorm weight length"] = R(() => Op.BatchNorm(Image(), F32(4), F32(3), null, null, training: true), Arg, "BatchNorm", "weight [3]", "[4]"),
        ["BatchNorm running mean length"] = R(() => Op.BatchNorm(Image(), null, null, Tensor.Zeros([2]), Tensor.Ones([3]), training: false), Arg, "BatchNorm", "[3]", "[2]"),
        // Shapes: broadcasting and matmul.
        ["Add incompatible broadcast"] = R(() => Op.Add(F32(2, 3), F32(4)), Arg, "Add", "[2, 3]", "[4]", "equal or 1"),
        ["Subtract incompatible broadcast"] = R(() => Op.Subtract(F32(2, 3), F32(2, 1, 4)), Arg, "Subtract", "equal or 1"),
        ["Multiply incompatible broadcast"] = R(() => Op.Multiply(F32(5), F32(3)), Arg, "Multiply", "[5]", "[3]"),
        ["Divide incompatible broadcast"] = R(() => Op.Divide(F32(2, 3), F32(3, 2)), Arg, "Divide", "[2, 3]", "[3, 2]"),
        ["BroadcastTo incompatible"] = R(() => Op.BroadcastTo(F32(3), [4]), Arg, "BroadcastTo", "[3]", "[4]"),
        ["MatMul inner dim"] = R(() => Op.MatMul(F32(2, 3), F32(4, 5)), Arg, "MatMul", "[2, 3]", "[4, 5]", "3 against 4"),
        ["MatMul transposed inner dim"] = R(() => Op.MatMul(F32(2, 3), F32(4, 5), true, false), Arg, "MatMul", "2 against 4", "transpose"),
        ["MatMul batch broadcast"] = R(() => Op.MatMul(F32(2, 3, 4), F32(5, 4, 2)), Arg, "MatMul", "[2, 3, 4]", "[5, 4, 2]"),
        ["Linear in-features"] = R(() => Op.Linear(F32(2, 5), F32(3, 4)), Arg, "Linear", "[..., 4]", "[2, 5]", "flatten"),
        ["Linear bias length"] = R(() => Op.Linear(F32(2, 4), F32(3, 4), F32(4)), Arg, "Linear", "bias [3]", "[4]"),
        ["MseLoss shape mismatch"] = R(() => Op.MseLoss(F32(4), F32(4, 1)), Arg, "MseLoss", "[4]", "[4, 1]", "Reshape"),
        ["BCE shape mismatch"] = R(() => Op.BinaryCrossEntropyWithLogits(F32(4), F32(3)), Arg, "BinaryCrossEntropyWithLogits", "[4]", "[3]"),
        ["Concat mismatch"] = R(() => Op.Concat([F32(2, 3), F32(3, 4)], 0), Arg, "Concat", "[2, 3]", "[3, 4]"),
        // Element types: mixing float32 and float64 in each binary family.
        ["Add f32+f64"] = R(() => Op.Add(F32(2), F64(2)), Arg, "Add", "f32", "f64", "Cast"),
        ["Subtract f32-f64"] = R(() => Op.Subtract(F64(2), F32(2)), Arg, "Subtract", "f64", "f32", "Cast"),
        ["Multiply f32*f64"] = R(() => Op.Multiply(F32(2), F64(2)), Arg, "Multiply", "f32", "f64", "Cast"),
        ["Divide f32/f64"] = R(() => Op.Divide(F32(2), F64(2)), Arg, "Divide", "f32", "f64", "Cast"),
        ["MatMul f32 f64"] = R(() => Op.MatMul(F32(2, 3), F64(3, 2)), Arg, "MatMul", "f32", "f64", "Cast"),
        ["Linear f32 f64"] = R(() => Op.Linear(F32(2, 3), F64(4, 3)), Arg, "Linear", "f32", "f64", "Cast"),
        ["Linear bias f64"] = R(() => Op.Linear(F32(2, 3), F32(4, 3), F64(4)), Arg, "Linear", "f32", "f64", "Cast"),
        ["Conv2d f32 f64"] = R(() => Op.Conv2d(Image(), F64(4, 3, 3, 3)), Arg, "Conv2d", "f32", "f64", "Cast"),
        ["Conv2d bias f64"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), F64(4)), Arg, "Conv2d", "f32", "f64", "Cast"),
        ["ConvTranspose2d f32 f64"] = R(() => Op.ConvTranspose2d(Image(), F64(3, 4, 3, 3)), Arg, "ConvTranspose2d", "f32", "f64", "Cast"),
        ["BatchNorm weight f64"] = R(() => Op.BatchNorm(Image(), F64(3), F64(3), null, null, training: true), Arg, "BatchNorm", "f32", "f64", "Cast"),
        ["BatchNorm running f64"] = R(() => Op.BatchNorm(Image(), null, null, Tensor.Zeros([3], DType.Float64), Tensor.Ones([3], DType.Float64), training: false), Arg, "BatchNorm", "f32", "f64", "Cast"),
        ["MseLoss f32 f64"] = R(() => Op.MseLoss(F32(3), F64(3)), Arg, "MseLoss", "f32", "f64", "Cast"),
        ["BCE f32 f64"] = R(() => Op.BinaryCrossEntropyWithLogits(F32(3), F64(3)), Arg, "BinaryCrossEntropyWithLogits", "f32", "f64", "Cast"),
        ["Concat f32 f64"] = R(() => Op.Concat([F32(2), F64(2)], 0), Arg, "Concat", "f32", "f64", "Cast"),
        // Settings.
        ["Conv2d zero stride"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), stride: 0), Arg, "Conv2d", "stride of at least 1", "0x0"),
        ["Conv2d negative stride"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), stride: -1), Arg, "Conv2d", "stride of at least 1", "-1x-1"),
        ["Conv2d negative padding"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), padding: -1), Arg, "Conv2d", "non-negative padding", "-1"),
        ["Conv2d zero dilation"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), dilation: 0), Arg, "Conv2d", "dilation of at least 1", "0x0"),
        ["Conv2d kernel larger than padded input"] = R(() => Op.Conv2d(Image(h: 4, w: 4), F32(4, 3, 7, 7), padding: 1), Arg, "Conv2d", "7x7", "6x6", "pad more"),
        ["Conv2d groups not dividing"] = R(() => Op.Conv2d(Image(c: 4), F32(6, 2, 3, 3), groups: 3), Arg, "Conv2d", "groups=3", "(4)", "divisors"),
        ["Conv2d zero groups"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), groups: 0), Arg, "Conv2d", "at least 1 group", "0"),
        ["Conv2d unknown padding name"] = R(() => Op.Conv2d(Image(), F32(4, 3, 3, 3), null, "full"), Arg, "Conv2d", "\"same\" or \"valid\"", "\"full\""),
        ["ConvTranspose2d groups not dividing"] = R(() => Op.ConvTranspose2d(Image(c: 3), F32(3, 2, 3, 3), groups: 2), Arg, "ConvTranspose2d", "groups=2", "(3)"),
        ["ConvTranspose2d output padding"] = R(() => Op.ConvTranspose2d(Image(), F32(3, 4, 3, 3), stride: 2, outputPadding: 2), Arg, "ConvTranspose2d", "output padding 2x2", "stride 2x2"),
        ["MaxPool2d zero stride"] = R(() => Op.MaxPool2d(Image(), 2, stride: 0), Arg, "MaxPool2d", "positive stride", "(0, 0)"),
        ["MaxPool2d zero kernel"] = R(() => Op.MaxPool2d(Image(), 0), Arg, "MaxPool2d", "kernel size of at least 1", "(0, 0)"),
        ["MaxPool2d padding over half kernel"] = R(() => Op.MaxPool2d(Image(), 2, padding: 2), Arg, "MaxPool2d", "padding (2, 2)", "at most (1, 1)"),
        ["AvgPool2d padding over half kernel"] = R(() => Op.AvgPool2d(Image(), 3, padding: 2), Arg, "AvgPool2d", "padding (2, 2)", "at most (1, 1)"),
        ["MaxPool2d kernel larger than input"] = R(() => Op.MaxPool2d(Image(h: 3, w: 3), 4), Arg, "MaxPool2d", "(4, 4)", "(3, 3)", "smaller kernel"),
        ["AdaptiveAvgPool2d zero output"] = R(() => Op.AdaptiveAvgPool2d(Image(), 0, 2), Arg, "AdaptiveAvgPool2d", "at least (1, 1)", "(0, 2)"),
        ["Pad reflect pad equal to dim"] = R(() => Op.Pad(Image(h: 3, w: 3), [3, 3], PadMode.Reflect), Arg, "Pad", "Reflect", "size 3", "(3, 3)", "Replicate"),
        ["Pad odd pad count"] = R(() => Op.Pad(Image(), [1, 1, 1]), Arg, "Pad", "even number", "[1, 1, 1]"),
        ["Dropout p above 1"] = R(() => Op.Dropout(F32(4), 1.5, Rng.Seed(0), training: true), Arg, "Dropout", "[0, 1]", "1.5"),
        ["Dropout p negative"] = R(() => Op.Dropout(F32(4), -0.1, Rng.Seed(0), training: false), Arg, "Dropout", "[0, 1]", "-0.1"),
        ["Dropout p NaN"] = R(() => Op.Dropout(F32(4), double.NaN, Rng.Seed(0), training: true), Arg, "Dropout", "[0, 1]", "NaN"),
        ["BatchNorm negative momentum"] = R(() => Op.BatchNorm(Image(), null, null, Tensor.Zeros([3]), Tensor.Ones([3]), true, momentum: -0.1), Arg, "BatchNorm", "momentum in [0, 1]", "-0.1", "0.1"),
        ["BatchNorm negative eps"] = R(() => Op.BatchNorm(Image(), null, null, null, null, true, eps: -1e-5), Arg, "BatchNorm", "eps >= 0", "-1E-05"),
        ["BatchNorm one value per channel"] = R(() => Op.BatchNorm(F32(1, 3), null, null, null, null, true), Arg, "BatchNorm", "more than one value per channel", "[1, 3]", "batch of at least 2"),
        ["BatchNorm eval without statistics"] = R(() => Op.BatchNorm(Image(), null, null, null, null, false), Arg, "BatchNorm", "running statistics", "null"),
        ["LeakyRelu NaN slope"] = R(() => Op.LeakyRelu(F32(3), double.NaN), Arg, "LeakyRelu", "NaN"),
        ["CrossEntropy label smoothing"] = R(() => Op.CrossEntropy(F32(2, 3), [0, 1], labelSmoothing: 1.5), Arg, "CrossEntropy", "labelSmoothing in [0, 1]", "1.5"),
        ["Loss unknown reduction"] = R(() => Op.MseLoss(F32(3), F32(3), (Reduction)7), Arg, "MseLoss", "reduction 7", "Reduction.Mean"),
        // Labels.
        ["CrossEntropy label too large"] = R(() => Op.CrossEntropy(F32(2, 3), [0, 3]), Arg, "CrossEntropy", "label 3", "position 1", "C = 3", "[0, 2]"),
        ["CrossEntropy negative label"] = R(() => Op.CrossEntropy(F32(2, 3), [-1, 0]), Arg, "CrossEntropy", "label -1", "position 0", "[0, 2]"),
        ["CrossEntropy label count"] = R(() => Op.CrossEntropy(F32(2, 3), [0, 1, 2]), Arg, "CrossEntropy", "3 labels", "N = 2", "one label per row"),
        ["Nll label too large"] = R(() => Op.Nll(F32(2, 3), [5, 0]), Arg, "Nll", "label 5", "C = 3", "[0, 2]"),
        ["Nll label count"] = R(() => Op.Nll(F32(2, 3), [0]), Arg, "Nll", "1 labels", "N = 2"),
        ["Pick label too large"] = R(() => Op.Pick(F32(2, 3), [0, 9]), Arg, "Pick", "9", "[0, 2]"),
        // Empty batches.
        ["CrossEntropy empty batch mean"] = R(() => Op.CrossEntropy(F32(0, 3), []), Arg, "CrossEntropy", "empty", "[0]", "Reduction.Sum"),
        ["Nll empty batch mean"] = R(() => Op.Nll(F32(0, 3), []), Arg, "Nll", "empty", "Reduction.Sum"),
        ["MseLoss empty mean"] = R(() => Op.MseLoss(F32(0), F32(0)), Arg, "MseLoss", "empty", "Reduction.Sum"),
        ["BCE empty mean"] = R(() => Op.BinaryCrossEntropyWithLogits(F32(0, 2), F32(0, 2)), Arg, "BinaryCrossEntropyWithLogits", "empty", "[0, 2]"),
        ["BatchNorm empty batch"] = R(() => Op.BatchNorm(Image(n: 0), null, null, null, null, true), Arg, "BatchNorm", "more than one value per channel", "[0, 3, 8, 8]"),
        // Layers given the wrong input.
        ["Conv2d layer channels"] = R(() => Forward(new L.Conv2d(3, 16, 3), Image(n: 64, c: 1, h: 28, w: 28)), Arg, "Conv2d", "[N, 3, H, W]", "[64, 1, 28, 28]", "3 input channels"),
        ["Conv2d layer rank"] = R(() => Forward(new L.Conv2d(3, 16, 3), F32(3, 28, 28)), Arg, "Conv2d", "[N, C, H, W]", "[3, 28, 28]"),
        ["Conv2d layer groups"] = R(() => new L.Conv2d(4, 6, 3, Groups: 4).Init(Rng.Seed(0)), Arg, "Conv2d", "groups=4", "OutChannels (6)"),
        ["Conv2d layer output shape"] = R(() => new L.Conv2d(3, 16, 3).OutputShape([2, 1, 8, 8]), Arg, "Conv2d", "[N, 3, H, W]", "[2, 1, 8, 8]"),
        ["Linear layer features"] = R(() => Forward(new L.Linear(400, 120), F32(2, 576)), Arg, "Linear", "[..., 400]", "[2, 576]", "400 input features"),
        ["BatchNorm2d layer channels"] = R(() => Forward(new L.BatchNorm2d(16), Image(c: 8), train: true), Arg, "BatchNorm2d", "[N, 16, H, W]", "[2, 8, 8, 8]", "16 channels"),
        ["BatchNorm2d layer missing state"] = R(() => new L.BatchNorm2d(3).Forward(new L.BatchNorm2d(3).Init(Rng.Seed(0)).Map(t => new Var(t)), Image(), L.LayerContext.Eval()), Arg, "BatchNorm2d", "running_mean", "InitState()"),
        ["MaxPool2d layer rank"] = R(() => Forward(new L.MaxPool2d(2), F32(8, 8)), Arg, "MaxPool2d", "[N, C, H, W]", "[8, 8]"),
        ["LeNet5 colour images"] = R(() => Forward(new L.LeNet5(), Image(c: 3, h: 28, w: 28)), Arg, "Conv2d", "[N, 1, H, W]", "[2, 3, 28, 28]"),
        ["LeNet5 wrong image size"] = R(() => Forward(new L.LeNet5(), Image(c: 1, h: 32, w: 32)), Arg, "Linear", "[..., 400]", "[2, 576]"),
        ["LeNet5 output shape"] = R(() => new L.LeNet5().OutputShape([2, 3, 28, 28]), Arg, "Conv2d", "[N, 1, H, W]", "[2, 3, 28, 28]"),
        ["ResNet18Cifar grey images"] = R(() => new L.ResNet18Cifar().OutputShape([2, 1, 32, 32]), Arg, "Conv2d", "[N, 3, H, W]", "[2, 1, 32, 32]"),
        ["Dropout layer p"] = R(() => Forward(new L.Dropout(2), F32(4), train: true), Arg, "Dropout", "[0, 1]", "2"),
        // Facade.
        ["TensorDataset label count"] = R(() => new TensorDataset(Tensor.Zeros([3, 2]), [0, 1]), Arg, "TensorDataset", "one label per sample", "[3, 2]", "2 labels"),
        ["TensorDataset negative label"] = R(() => new TensorDataset(Tensor.Zeros([2, 2]), [0, -1]), Arg, "TensorDataset", "labels >= 0", "-1"),
        ["TensorDataset scalar inputs"] = R(() => new TensorDataset(Tensor.Scalar(1), []), Arg, "TensorDataset", "scalar", "[1, ...]"),
        ["TensorDataset gather out of range"] = R(() => new TensorDataset(Tensor.Zeros([2, 2]), [0, 1]).Gather([2]), ArgRange, "TensorDataset.Gather", "index 2", "0..1"),
        ["DataLoader batch size 0"] = R(() => new DataLoader(new TensorDataset(Tensor.Zeros([2, 2]), [0, 1]), 0), ArgRange, "DataLoader", "batch size >= 1", "0"),
        ["DataLoader negative epoch"] = R(() => new DataLoader(new TensorDataset(Tensor.Zeros([2, 2]), [0, 1]), 1).Order(-1), ArgRange, "DataLoader", "from 0", "-1"),
        ["Checkpoint.Load wrong shape"] = R(() => Checkpoint.Load(SavedLinear(), new L.Linear(5, 3).Init(Rng.Seed(0)), ParamTree<Tensor>.Empty), Mismatch, "does not match the model", "weight: expected [3, 5], found [3, 4]", "strict: false"),
        ["Checkpoint.Load missing entries"] = R(() => Checkpoint.Load(SavedLinear(), new L.Sequential(new L.Linear(4, 3)).Init(Rng.Seed(0)), ParamTree<Tensor>.Empty), Mismatch, "2 missing [0.weight, 0.bias]", "2 unexpected [weight, bias]"),
        ["Checkpoint.Load name in both trees"] = R(() => Checkpoint.Load(SavedLinear(), ParamTree.Of(("w", Tensor.Zeros([1]))), ParamTree.Of(("w", Tensor.Zeros([1])))), Arg, "Checkpoint.Load", "'w'", "rename one"),
        ["Checkpoint.Save name in both trees"] = R(() => Checkpoint.Save(Path.Combine(Dir, "x.safetensors"), ParamTree.Of(("w", Tensor.Zeros([1]))), ParamTree.Of(("w", Tensor.Zeros([1])))), Arg, "Checkpoint.Save", "'w'", "rename one"),
        ["Checkpoint.Load not safetensors"] = R(() => Checkpoint.Load(WriteBytes("junk.safetensors", [1, 2, 3]), ParamTree<Tensor>.Empty, ParamTree<Tensor>.Empty), typeof(InvalidDataException), "junk.safetensors", "3 bytes", "truncated or not a safetensors file"),
        ["SafeTensors.Write reserved name"] = R(() => SafeTensors.Write(new MemoryStream(), ParamTree.Of(("__metadata__", Tensor.Zeros([1])))), Arg, "SafeTensors.Write", "__metadata__", "rename"),
        ["Cifar10 no files"] = R(() => Cifar10.ReadBatches(), Arg, "Cifar10.ReadBatches", "at least one file"),
    };

    private static string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(Dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static TheoryData<string> Names => new(Rows.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void EntryPoint_BadArgument_ThrowsDocumentedTypeWithClearMessage(string name)
    {
        var row = Rows[name];
        var e = Record.Exception(row.Act);
        Assert.True(e is not null, $"{name}: expected {row.Expected.Name} but nothing was thrown.");
        Assert.True(e.GetType() == row.Expected, $"{name}: expected {row.Expected.Name} but got {e.GetType().Name}: {e.Message}");
        foreach (var f in row.Fragments)
            Assert.True(e.Message.Contains(f, StringComparison.Ordinal), $"{name}: message lacks \"{f}\": {e.Message}");
    }
}
