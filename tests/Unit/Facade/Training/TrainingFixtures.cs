using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;
using Cnn.Unit.Facade.Checkpoints;

namespace Cnn.Unit.Facade.Training;

/// <summary>A tiny image task and small networks for training tests.</summary>
internal static class TrainingFixtures
{
    /// <summary>
    /// <paramref name="n"/> noisy 8x8 grey images of 4 classes: class k has its k-th 4x4 quadrant bright (1 + noise)
    /// and the rest dark (noise only), noise N(0, 0.3^2).
    /// </summary>
    public static TensorDataset Quadrants(int n, long seed)
    {
        var rng = Rng.Seed(seed);
        var pixels = new float[n * 64];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int label = rng.Int(i, 4);
            labels[i] = label;
            for (int r = 0; r < 8; r++)
                for (int c = 0; c < 8; c++)
                {
                    bool on = (r / 4) * 2 + c / 4 == label;
                    pixels[i * 64 + r * 8 + c] = (on ? 1f : 0f) + 0.3f * (float)rng.Normal(1_000 + i * 64 + r * 8 + c);
                }
        }
        return new TensorDataset(Tensor.FromArray(pixels, [n, 1, 8, 8]), labels);
    }

    /// <summary>conv 1-&gt;4 3x3, batch norm, ReLU, 2x2 max pool, flatten, dropout 0.2, linear 64-&gt;4: every kind of state and randomness a step has.</summary>
    public static Sequential SmallNet() => new(
        new Conv2d(1, 4, 3, Padding: 1), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
        new Flatten(), new Dropout(0.2), new Linear(64, 4));

    /// <summary>A linear classifier: no state, so with a zero learning rate nothing changes from epoch to epoch.</summary>
    public static Sequential LinearNet() => new(new Flatten(), new Linear(64, 4));

    /// <summary>True when both trees have the same paths and bit-identical tensors.</summary>
    public static bool TreesBitEqual(ParamTree<Tensor> a, ParamTree<Tensor> b) =>
        a.Count == b.Count && a.Zip(b).All(pair => pair.First.Key == pair.Second.Key && CheckpointFiles.BitEqual(pair.First.Value, pair.Second.Value));
}

/// <summary>A learning-rate schedule that jumps from <paramref name="Lr"/> to <paramref name="Huge"/> at step <paramref name="At"/>.</summary>
internal sealed record JumpSchedule(double Lr, double Huge, int At) : ISchedule
{
    public double LearningRate(int step) => step < At ? Lr : Huge;
}

/// <summary>Collects reports synchronously (System.Progress posts to the thread pool, which would race the assertions).</summary>
internal sealed class ListProgress(Action<TrainingProgress>? onReport = null) : IProgress<TrainingProgress>
{
    public List<TrainingProgress> Reports { get; } = [];

    public void Report(TrainingProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
