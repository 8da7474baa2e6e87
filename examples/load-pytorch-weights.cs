#:project ../src/Cnn.Facade/Cnn.Facade.csproj
#:property PublishAot=false
// Loads weights saved by PyTorch (tools/pytorch/export_fashion_lenet.py: an nn.Sequential LeNet's state_dict as
// safetensors, names 0.weight ... 9.bias) into the same network built here, and prints PyTorch's logits for four
// inputs beside ours.
//
//   dotnet run examples/load-pytorch-weights.cs [-- --weights FILE.safetensors --golden FILE.json --out DIR]
// (--max-steps is accepted and ignored: nothing is trained.)
using System.Text.Json;
using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Layers;

const string DataFolder = "tests/Unit/Facade/Checkpoints/data";
string? weights = null, golden = null, outDir = Path.Combine("out", "load-pytorch-weights");
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--weights": weights = args[i + 1]; break;
        case "--golden": golden = args[i + 1]; break;
        case "--out": outDir = args[i + 1]; break;
        case "--max-steps": break;
        default: throw new ArgumentException($"unknown option {args[i]}");
    }
}
weights ??= FindInRepository(Path.Combine(DataFolder, "fashion_lenet.safetensors"));
golden ??= FindInRepository(Path.Combine(DataFolder, "fashion_lenet.golden.json"));

// nn.Sequential(Conv2d(1, 32, 3, padding=1), ReLU(), MaxPool2d(2), Conv2d(32, 64, 3, padding=1), ReLU(), MaxPool2d(2),
//               Flatten(), Linear(3136, 128), ReLU(), Linear(128, 10)): the same children in the same order give the same names.
// (FashionLeNet itself names them features.N and classifier.N, as a module with two nn.Sequential attributes would.)
var net = new Sequential(
    new Conv2d(1, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
    new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new MaxPool2d(2),
    new Flatten(), new Linear(3136, 128), new ReLU(), new Linear(128, 10));
var model = new Model(net, seed: 0);
var report = model.LoadStateDict(weights);
Console.WriteLine($"loaded {weights}: {report}; {model.ParameterCount:N0} parameters");

var (x, expected) = ReadGolden(golden);
var ours = model.Predict(x);
double worst = 0, scale = 0;
for (int n = 0; n < expected.Shape[0]; n++)
{
    Console.WriteLine($"input {n}:  class  PyTorch      C#           difference");
    for (int c = 0; c < expected.Shape[1]; c++)
    {
        double a = expected[n, c], b = ours[n, c];
        worst = Math.Max(worst, Math.Abs(a - b));
        scale = Math.Max(scale, Math.Abs(a));
        Console.WriteLine($"          {c,5}  {a,11:F6}  {b,11:F6}  {b - a,10:E1}");
    }
}
Console.WriteLine($"largest difference {worst:E2} (largest logit {scale:F4}); predicted classes PyTorch [{string.Join(", ", Op.ArgMax(expected, 1))}], C# [{string.Join(", ", Op.ArgMax(ours, 1))}]");

Directory.CreateDirectory(outDir);
var saved = Path.Combine(outDir, "lenet.safetensors");
model.Save(saved);
Console.WriteLine($"saved again as {saved} (same names; safetensors.torch.load_file reads it back into PyTorch)");
return worst <= 1e-4 * scale ? 0 : 1;

static string FindInRepository(string relative)
{
    for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, relative))) return Path.Combine(dir.FullName, relative);
    throw new FileNotFoundException($"{relative} was not found above {Environment.CurrentDirectory}: run from inside the repository or pass --weights and --golden.");
}

static (Tensor Input, Tensor Logits) ReadGolden(string path)
{
    using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
    Tensor Read(string name)
    {
        var e = doc.RootElement.GetProperty(name);
        var data = e.GetProperty("data").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();
        var shape = e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()).ToArray();
        return Tensor.FromArray(data, shape);
    }
    return (Read("input"), Read("logits"));
}
