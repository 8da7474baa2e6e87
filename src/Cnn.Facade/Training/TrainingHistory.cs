using System.Collections.Immutable;
using System.Globalization;

namespace Cnn.Facade;

/// <summary>The metrics of one finished epoch.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="TrainLoss">Mean training loss over the epoch's samples (training mode, before each step's update).</param>
/// <param name="TrainAccuracy">Fraction of training samples whose output was largest at their label (training mode).</param>
/// <param name="ValidationLoss">Mean validation loss in evaluation mode after the epoch; null without validation data.</param>
/// <param name="ValidationAccuracy">Validation accuracy; null without validation data.</param>
/// <param name="ValidationTopK">Validation top-k accuracy (k from the options); null without validation data.</param>
/// <param name="LearningRate">The rate of the epoch's last step.</param>
/// <param name="Seconds">Wall time of the epoch's training steps (validation excluded).</param>
/// <param name="ImagesPerSecond">Training samples per second over the epoch's steps.</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double? ValidationTopK, double LearningRate, double Seconds, double ImagesPerSecond)
{
    public override string ToString()
    {
        var s = string.Create(CultureInfo.InvariantCulture, $"epoch {Epoch}: loss {TrainLoss:F4}, accuracy {TrainAccuracy:P2}");
        if (ValidationLoss is double vl) s += string.Create(CultureInfo.InvariantCulture, $", val loss {vl:F4}, val accuracy {ValidationAccuracy:P2}");
        return s + string.Create(CultureInfo.InvariantCulture, $", lr {LearningRate:G3}, {Seconds:F1} s, {ImagesPerSecond:F0} images/s");
    }

    /// <summary>One line of invariant text that <see cref="Parse"/> reads back exactly (doubles round-trip).</summary>
    internal string Serialize() => string.Join(';',
        Epoch.ToString(CultureInfo.InvariantCulture), R(TrainLoss), R(TrainAccuracy), R(ValidationLoss), R(ValidationAccuracy),
        R(ValidationTopK), R(LearningRate), R(Seconds), R(ImagesPerSecond));

    internal static EpochRecord Parse(string line)
    {
        var f = line.Split(';');
        if (f.Length != 9) throw new InvalidDataException($"A trainer checkpoint's epoch record should have 9 fields but '{line}' has {f.Length}.");
        return new EpochRecord(int.Parse(f[0], CultureInfo.InvariantCulture), D(f[1]), D(f[2]), N(f[3]), N(f[4]), N(f[5]), D(f[6]), D(f[7]), D(f[8]));
    }

    private static string R(double? v) => v is double d ? d.ToString("R", CultureInfo.InvariantCulture) : "";
    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);
    private static double? N(string s) => s.Length == 0 ? null : D(s);
}

/// <summary>Why <see cref="Trainer.Fit"/> returned.</summary>
public enum StopReason
{
    /// <summary>All epochs ran.</summary>
    Completed,

    /// <summary>The monitored metric stopped improving (<see cref="TrainingOptions.EarlyStopping"/>).</summary>
    EarlyStopped,

    /// <summary>The cancellation token was signalled; training stopped after the step in progress.</summary>
    Cancelled,

    /// <summary>The step budget <see cref="TrainingOptions.MaxSteps"/> was reached.</summary>
    MaxSteps,

    /// <summary>A loss was NaN or infinite (<see cref="TrainingDivergedException"/>).</summary>
    Diverged,
}

/// <summary>
/// What a training run did: one <see cref="EpochRecord"/> per finished epoch (including those before a resume),
/// why it stopped, the optimizer steps taken in total, and where the checkpoints are.
/// </summary>
/// <param name="BestEpoch">The epoch (from 1) whose parameters are in <paramref name="BestCheckpoint"/>; null before the first finished epoch.</param>
/// <param name="BestCheckpoint">Path of <c>best.safetensors</c>, or null when no output folder was given or no epoch finished.</param>
/// <param name="LastCheckpoint">Path of <c>last.safetensors</c>, or null when no output folder was given.</param>
public sealed record TrainingHistory(ImmutableArray<EpochRecord> Epochs, StopReason StopReason, long Steps,
    int? BestEpoch, string? BestCheckpoint, string? LastCheckpoint)
{
    /// <summary>The epochs in the form <see cref="LearningCurves.ToSvg"/> draws.</summary>
    public IReadOnlyList<LearningCurves.Epoch> ToLearningCurves() =>
        Epochs.Select(e => new LearningCurves.Epoch(e.Epoch, e.TrainLoss, e.ValidationLoss, e.TrainAccuracy, e.ValidationAccuracy)).ToArray();

    /// <summary>The last finished epoch, or null.</summary>
    public EpochRecord? Last => Epochs.IsEmpty ? null : Epochs[^1];
}

/// <summary>
/// The loss became NaN or infinite: training stopped before applying that step. The model keeps the parameters
/// and state from before the step; the checkpoint files keep the last good epoch.
/// </summary>
public sealed class TrainingDivergedException(string message, TrainingHistory history, int epoch, int step) : Exception(message)
{
    /// <summary>The epochs that finished before the failure.</summary>
    public TrainingHistory History { get; } = history;

    /// <summary>The epoch (from 1) of the failed step.</summary>
    public int Epoch { get; } = epoch;

    /// <summary>The failed step within its epoch (from 1).</summary>
    public int Step { get; } = step;
}
