using Cnn.Facade.Data;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>The metric that picks the best checkpoint and drives early stopping.</summary>
public enum Metric
{
    /// <summary>Validation loss, lower is better (training loss when there is no validation data).</summary>
    ValidationLoss,

    /// <summary>Validation accuracy, higher is better (training accuracy when there is no validation data).</summary>
    ValidationAccuracy,
}

/// <summary>
/// Stop when the monitored metric has not improved by more than <paramref name="MinDelta"/> for
/// <paramref name="Patience"/> epochs in a row.
/// </summary>
public sealed record EarlyStopping(int Patience, Metric Monitor = Metric.ValidationLoss, double MinDelta = 0);

/// <summary>
/// How <see cref="Trainer.Fit"/> trains: epochs, batches, optimizer and learning-rate schedule, loss, metrics,
/// early stopping, checkpoints and resuming. All randomness (shuffling, augmentation, dropout) is keyed by
/// (<see cref="Seed"/>, epoch, step), so a run that is stopped and resumed ends bit-identical to one that was not.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Samples per optimizer step.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>The update rule; Adam with learning rate 1e-3 by default.</summary>
    public IOptimizer Optimizer { get; init; } = new Adam(1e-3);

    /// <summary>
    /// The learning-rate schedule per optimizer step, built from the total number of steps of the run
    /// (<c>total =&gt; new OneCycleLR(0.01, total)</c>); null keeps the optimizer's rate (or the plateau's).
    /// </summary>
    public Func<int, ISchedule>? Schedule { get; init; }

    /// <summary>Lowers the rate after each epoch when the validation loss (training loss without validation data) stalls; not together with <see cref="Schedule"/>.</summary>
    public ReduceLROnPlateau? Plateau { get; init; }

    /// <summary>The training loss; cross-entropy by default.</summary>
    public LossFunction Loss { get; init; } = Losses.CrossEntropy;

    /// <summary>k of the top-k validation accuracy that each epoch reports.</summary>
    public int TopK { get; init; } = 5;

    /// <summary>Stops training early when the monitored metric stalls; null trains all epochs.</summary>
    public EarlyStopping? EarlyStopping { get; init; }

    /// <summary>The metric that decides which epoch's parameters go to <c>best.safetensors</c>.</summary>
    public Metric BestBy { get; init; } = Metric.ValidationLoss;

    /// <summary>
    /// Folder for <c>best.safetensors</c> and <c>last.safetensors</c> (with <c>last.optim.safetensors</c>, the optimizer
    /// state and the trainer's counters); null writes no checkpoints.
    /// </summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Continue from <c>last.safetensors</c> in <see cref="OutputDirectory"/> when it exists (else start afresh).</summary>
    public bool Resume { get; init; }

    /// <summary>Seeds shuffling, augmentation and dropout.</summary>
    public long Seed { get; init; }

    /// <summary>Visit the training samples in a fresh order each epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>A random transform of each training batch (e.g. <see cref="RandomCrop"/>), keyed by (seed, epoch, sample).</summary>
    public IBatchTransform? Augment { get; init; }

    /// <summary>A transform applied to every batch, training and validation alike (e.g. <see cref="Normalize"/>), after <see cref="Augment"/>.</summary>
    public IBatchTransform? Preprocess { get; init; }

    /// <summary>Stop after this many optimizer steps in total (counting steps before a resume), saving the last checkpoint.</summary>
    public int? MaxSteps { get; init; }

    /// <summary>Scale gradients to at most this global 2-norm before each step.</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Samples per forward pass when evaluating.</summary>
    public int EvalBatchSize { get; init; } = 500;

    internal void Validate()
    {
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), $"TrainingOptions.Epochs must be at least 1 but is {Epochs}.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"TrainingOptions.BatchSize must be at least 1 but is {BatchSize}.");
        if (TopK < 1) throw new ArgumentOutOfRangeException(nameof(TopK), $"TrainingOptions.TopK must be at least 1 but is {TopK}.");
        if (EvalBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(EvalBatchSize), $"TrainingOptions.EvalBatchSize must be at least 1 but is {EvalBatchSize}.");
        if (MaxSteps is < 0) throw new ArgumentOutOfRangeException(nameof(MaxSteps), $"TrainingOptions.MaxSteps must be >= 0 but is {MaxSteps}.");
        if (EarlyStopping is { Patience: < 1 }) throw new ArgumentOutOfRangeException(nameof(EarlyStopping), $"EarlyStopping.Patience must be at least 1 but is {EarlyStopping.Patience}.");
        ArgumentNullException.ThrowIfNull(Optimizer, nameof(Optimizer));
        ArgumentNullException.ThrowIfNull(Loss, nameof(Loss));
        if (Schedule is not null && Plateau is not null)
            throw new ArgumentException("TrainingOptions has both a Schedule and a Plateau, but only one may decide the learning rate: drop one of them.");
        if (Resume && OutputDirectory is null)
            throw new ArgumentException("TrainingOptions.Resume needs an OutputDirectory to find last.safetensors in.");
    }
}
