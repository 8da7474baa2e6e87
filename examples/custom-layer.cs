#:project ../src/Cnn.Facade/Cnn.Facade.csproj
#:property PublishAot=false
// A layer of your own, composed from differentiable ops: squeeze-and-excitation (Hu et al.), which rescales each
// channel by a gate computed from the whole image. It needs no backward code: gradients come from the ops.
// The script puts it into a small CNN and trains that on the shipped Fashion-MNIST sample.
//
//   dotnet run examples/custom-layer.cs [-- --epochs N --max-steps N --out DIR]
using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;

var arguments = ScriptArguments.Parse(args, "epochs", "max-steps", "out");
int epochs = arguments.Int("epochs", 1);
int? maxSteps = arguments.IntOrNull("max-steps");
string outDir = arguments.String("out", Path.Combine("out", "custom-layer"));

var net = new Sequential(
    new Conv2d(1, 32, 3, Padding: 1), new ReLU(), new SqueezeExcite(32), new MaxPool2d(2),
    new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new SqueezeExcite(64), new MaxPool2d(2),
    new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Linear(128, 10));
var model = new Model(net, seed: 0);
Console.WriteLine(model.Summary([1, 1, 28, 28]));

var data = FashionMnist.Load();
var history = Trainer.Fit(model, data.Train, null,
    new TrainingOptions { Epochs = epochs, BatchSize = 64, Optimizer = new Adam(1e-3), MaxSteps = maxSteps, OutputDirectory = outDir },
    new ConsoleProgress());
var test = model.Evaluate(data.Test);
Console.WriteLine($"test accuracy with squeeze-and-excitation: {test.Accuracy:P2} after {history.Steps} steps; checkpoint {history.LastCheckpoint}");

/// <summary>
/// Squeeze-and-excitation for [N, C, H, W]: s = mean over H, W of x ([N, C]); g = sigmoid(W2 relu(W1 s + b1) + b2)
/// with W1 [C / r, C] and W2 [C, C / r]; y[n, c, h, w] = x[n, c, h, w] * g[n, c]. Parameters fc1.*, fc2.* as nn.Linear's.
/// </summary>
sealed record SqueezeExcite(int Channels, int Reduction = 4) : Layer
{
    private Linear Fc1 => new(Channels, Channels / Reduction);
    private Linear Fc2 => new(Channels / Reduction, Channels);

    public override ParamTree<Tensor> Init(Rng rng)
    {
        var keys = rng.Split(2);
        return ParamTree.Of(("fc1", Fc1.Init(keys[0])), ("fc2", Fc2.Init(keys[1])));
    }

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx)
    {
        var s = Op.GlobalAvgPool2d(x);
        var g = Op.Sigmoid(Op.Linear(Op.Relu(Op.Linear(s, p["fc1.weight"], p["fc1.bias"])), p["fc2.weight"], p["fc2.bias"]));
        return x * Op.Reshape(g, x.Shape[0], Channels, 1, 1);
    }

    public override Shape OutputShape(Shape input) =>
        input.Rank == 4 && input[1] == Channels ? input
        : throw new ArgumentException($"SqueezeExcite expects input [N, {Channels}, H, W] but got {input}.");
}
