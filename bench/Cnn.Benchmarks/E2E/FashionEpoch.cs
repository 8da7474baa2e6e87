using System.Diagnostics;
using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// One epoch of the Fashion-MNIST default recipe (examples/fashion-mnist.cs): <see cref="FashionLeNet"/>,
/// cross-entropy, Adam 1e-3, batch 64 shuffled, pixels standardised with the training set's mean and standard
/// deviation; 60,000 training images (938 steps), then the accuracy on the 10,000 test images. Timed once per side
/// (an epoch takes tens of seconds), after a few untimed warm-up steps on a throwaway model.
/// </summary>
/// <param name="DataDirectory">The folder of the four IDX files (raw or .gz) of the full data set.</param>
internal sealed record FashionEpoch(string DataDirectory)
{
    public const string Name = "lenet fashion-mnist epoch";

    private const int Batch = 64, FullTrainCount = 60_000;

    /// <summary>The case as tools/bench/torch_bench.py reads it.</summary>
    public Dictionary<string, object> Spec() => new() { ["name"] = Name, ["kind"] = "fashion_epoch", ["data"] = DataDirectory, ["batch"] = Batch };

    /// <summary>
    /// The case on the folder given with <c>--data</c>, else on the first <c>shared/datasets/fashion-mnist</c> beside
    /// the repository or one of its parent folders, else on the Debian package's folder.
    /// </summary>
    public static FashionEpoch Create(string? data) =>
        new(data ?? Repository.Find(Path.Combine("shared", "datasets", "fashion-mnist")) ?? FashionMnist.DebianDirectory);

    /// <summary>
    /// Trains a fresh model for one epoch with <see cref="Trainer.Fit"/> and returns the epoch's wall time and the
    /// test accuracy after it; or the reason it was skipped when the full data set (60,000 training images) is not there.
    /// </summary>
    public (double Seconds, double TestAccuracy)? Run(int warmupSteps, out string? skipped)
    {
        DatasetSplits data;
        try
        {
            data = FashionMnist.Load(DataDirectory);
        }
        catch (DirectoryNotFoundException e)
        {
            skipped = e.Message + " Pass the full data set's folder with --data DIR.";
            return null;
        }
        skipped = data.Train.Count == FullTrainCount ? null : $"{DataDirectory} holds {data.Train.Count:N0} training images, not the full {FullTrainCount:N0}.";
        if (skipped is not null) return null;
        var (train, test) = Standardize(data.Train, data.Test);
        var options = new TrainingOptions { Epochs = 1, BatchSize = Batch, Optimizer = new Adam(1e-3) };
        Trainer.Fit(new Model(new FashionLeNet(), seed: 1), train, null, options with { MaxSteps = warmupSteps });
        var model = new Model(new FashionLeNet(), seed: 0);
        var clock = Stopwatch.StartNew();
        Trainer.Fit(model, train, null, options);
        double seconds = clock.Elapsed.TotalSeconds;
        return (seconds, model.Evaluate(test).Accuracy);
    }

    // As examples/fashion-mnist.cs: both sets standardised with the training pixels' mean and standard deviation.
    private static (TensorDataset Train, TensorDataset Test) Standardize(TensorDataset train, TensorDataset test)
    {
        double sum = 0, squares = 0;
        var pixels = train.Inputs.Span<float>();
        foreach (float v in pixels)
        {
            sum += v;
            squares += (double)v * v;
        }
        double mean = sum / pixels.Length, std = Math.Sqrt(squares / pixels.Length - mean * mean);
        var normalize = new Normalize([mean], [std]);
        TensorDataset Apply(TensorDataset d) => new(normalize.Apply(d.Inputs, [], default), d.Labels.ToArray());
        return (Apply(train), Apply(test));
    }
}
