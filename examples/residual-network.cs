#:project ../src/Cnn.Facade/Cnn.Facade.csproj
#:property PublishAot=false
// A small ResNet (a stem convolution, three stages of BasicBlocks with identity and projection shortcuts, global
// average pooling) trained on the shipped Fashion-MNIST sample with SGD, Nesterov momentum and a cosine schedule.
//
//   dotnet run examples/residual-network.cs [-- --epochs N --max-steps N --out DIR]
using System.Collections.Immutable;
using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;

var arguments = ScriptArguments.Parse(args, "epochs", "max-steps", "out");
int epochs = arguments.Int("epochs", 2);
int? maxSteps = arguments.IntOrNull("max-steps");
string outDir = arguments.String("out", Path.Combine("out", "residual-network"));

var model = new Model(new SmallResNet(), seed: 0);
Console.WriteLine(model.Summary([1, 1, 28, 28]));

var data = FashionMnist.Load();
var (train, validation) = data.Train.Split(1000, seed: 1);
var options = new TrainingOptions
{
    Epochs = epochs,
    BatchSize = 64,
    Optimizer = new Sgd(0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4),
    Schedule = total => new CosineAnnealingLR(0.05, total, warmupSteps: Math.Min(50, total - 1)),
    Augment = new RandomCrop(2),
    MaxSteps = maxSteps,
    OutputDirectory = outDir,
};
var history = Trainer.Fit(model, train, validation, options, new ConsoleProgress());
var test = model.Evaluate(data.Test);
Console.WriteLine($"residual network test accuracy: {test.Accuracy:P2} after {history.Steps} steps");
foreach (var file in TrainingReport.Write(outDir, model, data.Test, history, test, FashionMnist.ClassNames))
    Console.WriteLine($"  wrote {file}");

/// <summary>
/// Stem conv-BN-ReLU 1-&gt;16 at 28x28; BasicBlock 16-&gt;16; BasicBlock 16-&gt;32 with stride 2 (14x14, projection
/// shortcut); BasicBlock 32-&gt;64 with stride 2 (7x7); global average pooling; linear 64-&gt;classes.
/// </summary>
sealed record SmallResNet(int Classes = 10) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("stem", new ConvBlock(1, 16)),
        ("layer1", new BasicBlock(16, 16)),
        ("layer2", new BasicBlock(16, 32, Stride: 2)),
        ("layer3", new BasicBlock(32, 64, Stride: 2)),
        ("pool", new GlobalAvgPool()),
        ("fc", new Linear(64, Classes)),
    ];
}
