#:project ../src/Cnn.Facade/Cnn.Facade.csproj
#:property PublishAot=false
// Trains a CNN on Fashion-MNIST and reports its test accuracy, with checkpoints and pictures in an output folder.
//
//   dotnet run examples/fashion-mnist.cs                      FashionLeNet, Adam 1e-3, batch 64, on the shipped sample
//   dotnet run examples/fashion-mnist.cs -- --data DIR        the full 60,000 / 10,000 from DIR (2 epochs by default)
//   options: --epochs N   --out DIR (out/fashion-mnist)   --recipe default|better   --max-steps N
//            --val N (hold out N training images for validation)   --seed N   --resume
//            --raw (pixels in [0, 1] instead of standardised with the training set's mean and deviation)
//            --crop N (add a random crop with padding N to the better recipe's flips; off by default, as it lowered
//            validation accuracy after 10 epochs: 93.44% with padding 2 against 93.76% without, 5,000 held out)
//
// The default recipe reaches about 90% on the full data in 2 epochs. The better recipe (conv blocks with batch
// norm, random horizontal flips, AdamW with a one-cycle schedule, label smoothing) reaches about 93% in 10 epochs.
using System.Diagnostics;
using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;

var arguments = Arguments.Parse(args);
var data = FashionMnist.Load(arguments.Data);
bool full = data.Train.Count > 20_000;
Console.WriteLine($"data: {data.Directory} ({data.Train.Count:N0} training, {data.Test.Count:N0} test images)");

// Standardise the pixels with the training set's mean and standard deviation (torchvision's Normalize).
var (trainSet, testSet) = arguments.Normalize ? Standardize(data.Train, data.Test) : (data.Train, data.Test);
var (train, validation) = arguments.Validation > 0 ? trainSet.Split(arguments.Validation, seed: 1) : (trainSet, null);
bool better = arguments.Recipe == "better";
int epochs = arguments.Epochs ?? (better ? 10 : full ? 2 : 10);
int batchSize = better ? 128 : 64;
int stepsPerEpoch = (train.Count + batchSize - 1) / batchSize;

var model = new Model(better ? Recipes.BatchNormNet() : new FashionLeNet(), seed: arguments.Seed);
var options = new TrainingOptions
{
    Epochs = epochs,
    BatchSize = batchSize,
    Seed = arguments.Seed,
    OutputDirectory = arguments.Out,
    Resume = arguments.Resume,
    MaxSteps = arguments.MaxSteps,
};
options = better
    ? options with
    {
        Optimizer = new AdamW(3e-3, weightDecay: 5e-4),
        Schedule = total => new OneCycleLR(3e-3, total),
        Augment = arguments.Crop > 0 ? new Compose(new RandomCrop(arguments.Crop), new RandomHorizontalFlip()) : new RandomHorizontalFlip(),
        Loss = Losses.CrossEntropyWithSmoothing(0.1),
    }
    : options with { Optimizer = new Adam(1e-3) };

Console.WriteLine($"recipe: {(better ? $"better (batch norm conv blocks, {(arguments.Crop > 0 ? $"crop pad {arguments.Crop} + " : "")}flip, AdamW + one-cycle, label smoothing 0.1)" : "default (FashionLeNet, Adam 1e-3)")}, " +
    $"{model.ParameterCount:N0} parameters, {epochs} epochs of {stepsPerEpoch} steps (batch {batchSize})");

var clock = Stopwatch.StartNew();
TrainingHistory history;
try
{
    history = Trainer.Fit(model, train, validation, options, new ConsoleProgress());
}
catch (TrainingDivergedException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
double trainSeconds = clock.Elapsed.TotalSeconds;
if (history.StopReason != StopReason.Completed) Console.WriteLine($"stopped: {history.StopReason} after {history.Steps} steps");

var test = model.Evaluate(testSet);
Console.WriteLine($"test accuracy: {test.Accuracy:P2} (loss {test.Loss:F4}, top-{test.K} {test.TopKAccuracy:P2}) after {history.Epochs.Length} epochs, {trainSeconds:F1} s of training");

var files = TrainingReport.Write(arguments.Out, model, testSet, history, test, FashionMnist.ClassNames);
Console.WriteLine($"wrote to {Path.GetFullPath(arguments.Out)}:");
foreach (var f in (string?[])[history.BestCheckpoint, history.LastCheckpoint, .. files])
    if (f is not null) Console.WriteLine($"  {Path.GetFileName(f)}");
return 0;

static (TensorDataset Train, TensorDataset Test) Standardize(TensorDataset train, TensorDataset test)
{
    var pixels = train.Inputs.Span<float>();
    double sum = 0, squares = 0;
    foreach (float v in pixels) { sum += v; squares += (double)v * v; }
    double mean = sum / pixels.Length, std = Math.Sqrt(squares / pixels.Length - mean * mean);
    var normalize = new Normalize([mean], [std]);
    TensorDataset Apply(TensorDataset d) => new(normalize.Apply(d.Inputs, [], default), d.Labels.ToArray());
    return (Apply(train), Apply(test));
}

/// <summary>The network of the better recipe.</summary>
static class Recipes
{
    /// <summary>
    /// Three 3x3 conv-BN-ReLU blocks (32, 64, 128 channels), each followed by 2x2 max pooling (28 -&gt; 14 -&gt; 7 -&gt; 3),
    /// then flatten, linear 1152 -&gt; 256, ReLU, dropout 0.3 and linear 256 -&gt; 10: about 7.8 M multiply-adds per image.
    /// </summary>
    public static Sequential BatchNormNet() => new(
        new ConvBlock(1, 32), new MaxPool2d(2),
        new ConvBlock(32, 64), new MaxPool2d(2),
        new ConvBlock(64, 128), new MaxPool2d(2),
        new Flatten(), new Linear(128 * 3 * 3, 256), new ReLU(), new Dropout(0.3), new Linear(256, 10));
}

/// <summary>The command line.</summary>
sealed record Arguments(string? Data, int? Epochs, string Out, string Recipe, int? MaxSteps, int Validation, long Seed, bool Resume, bool Normalize, int Crop)
{
    public static Arguments Parse(string[] args)
    {
        var a = new Arguments(null, null, Path.Combine("out", "fashion-mnist"), "default", null, 0, 0, false, true, 0);
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            a = args[i] switch
            {
                "--data" => a with { Data = Value() },
                "--epochs" => a with { Epochs = int.Parse(Value()) },
                "--out" => a with { Out = Value() },
                "--recipe" => a with { Recipe = Value() switch { "default" => "default", "better" => "better", _ => throw new ArgumentException("--recipe is 'default' or 'better'.") } },
                "--max-steps" => a with { MaxSteps = int.Parse(Value()) },
                "--val" => a with { Validation = int.Parse(Value()) },
                "--seed" => a with { Seed = long.Parse(Value()) },
                "--resume" => a with { Resume = true },
                "--raw" => a with { Normalize = false },
                "--crop" => a with { Crop = int.Parse(Value()) },
                _ => throw new ArgumentException($"unknown option {args[i]}; see the comment at the top of examples/fashion-mnist.cs."),
            };
        }
        return a;
    }
}
