using System.Diagnostics;
using Cnn.Facade;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;
using Cnn.Layers;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// One epoch of the Fashion-MNIST default recipe (examples/fashion-mnist.cs): <see cref="FashionLeNet"/>,
/// cross-entropy, Adam 1e-3, batch 64 shuffled, pixels standardised with the training set's mean and standard
/// deviation; 60,000 training images (938 steps), then the accuracy on the 10,000 test images. Timed once per side
/// (an epoch takes tens of seconds), after a few untimed warm-up steps on a throwaway model.
/// </summary>
/// <remarks>
/// NOTE: PyTorch trains from our initial parameters and visits the images in our order (<see cref="Spec"/>), so the
/// two test accuracies differ only by the sides' float32 rounding (about 0.2 points). From independent draws of the
/// initialisation and the order they would differ by the draw, about 0.6 points for one epoch (bench/README.md).
/// </remarks>
/// <param name="DataDirectory">The folder of the four IDX files (raw or .gz) of the full data set.</param>
internal sealed record FashionEpoch(string DataDirectory)
{
    public const string Name = "lenet fashion-mnist epoch";

    private const int Batch = 64, FullTrainCount = 60_000;

    /// <summary>
    /// The case as tools/bench/torch_bench.py reads it, with the start of our timed epoch: the initial parameters as a
    /// safetensors file (state_dict names) in base64, and the order in which the epoch visits the training images.
    /// </summary>
    public Dictionary<string, object> Spec(Outcome ours) => new()
    {
        ["name"] = Name, ["kind"] = "fashion_epoch", ["data"] = DataDirectory, ["batch"] = Batch,
        ["init_safetensors"] = Convert.ToBase64String(ours.InitialParameters), ["order"] = ours.Order,
    };

    /// <summary>Our epoch's wall time and test accuracy, and the start it trained from (for <see cref="Spec"/>).</summary>
    /// <param name="InitialParameters">The fresh model's parameters as a safetensors file.</param>
    /// <param name="Order">The training images in the order the epoch visited them.</param>
    public sealed record Outcome(double Seconds, double TestAccuracy, byte[] InitialParameters, int[] Order);

    /// <summary>
    /// The case on the folder given with <c>--data</c>, else on the first <c>shared/datasets/fashion-mnist</c> beside
    /// the repository or one of its parent folders, else on the Debian package's folder.
    /// </summary>
    public static FashionEpoch Create(string? data) =>
        new(data ?? Repository.Find(Path.Combine("shared", "datasets", "fashion-mnist")) ?? FashionMnist.DebianDirectory);

    /// <summary>
    /// Trains a fresh model for one epoch with <see cref="Trainer.Fit"/> and returns the epoch's wall time, the
    /// test accuracy after it and its start; or the reason it was skipped when the full data set (60,000 training
    /// images) is not there.
    /// </summary>
    public Outcome? Run(int warmupSteps, out string? skipped)
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
        using var initial = new MemoryStream();
        SafeTensors.Write(initial, model.Parameters);
        // The loader Trainer.Fit builds from these options visits epoch 0 in this order.
        var order = new DataLoader(train, Batch, options.Shuffle, seed: options.Seed).Order(0);
        var clock = Stopwatch.StartNew();
        Trainer.Fit(model, train, null, options);
        double seconds = clock.Elapsed.TotalSeconds;
        return new Outcome(seconds, model.Evaluate(test).Accuracy, initial.ToArray(), order);
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
