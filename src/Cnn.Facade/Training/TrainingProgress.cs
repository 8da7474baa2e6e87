namespace Cnn.Facade;

/// <summary>Whether a <see cref="TrainingProgress"/> report follows a step or closes an epoch.</summary>
public enum ProgressKind
{
    Step,
    EpochEnd,
}

/// <summary>
/// A progress report from <see cref="Trainer.Fit"/>, sent after every optimizer step and at the end of every epoch.
/// </summary>
/// <param name="Epoch">The current epoch, from 1.</param>
/// <param name="Epochs">The number of epochs of the run.</param>
/// <param name="Step">Steps finished in this epoch.</param>
/// <param name="StepsPerEpoch">Steps in a full epoch.</param>
/// <param name="GlobalStep">Steps finished in the whole run (including those before a resume).</param>
/// <param name="Loss">Mean training loss over this epoch's steps so far.</param>
/// <param name="Accuracy">Training accuracy over this epoch's samples so far.</param>
/// <param name="ImagesPerSecond">Training throughput over this epoch so far.</param>
/// <param name="Elapsed">Time spent in this epoch's steps so far.</param>
/// <param name="Remaining">Estimated time for the rest of the run's steps, at this epoch's pace.</param>
/// <param name="LearningRate">The rate of the last step.</param>
/// <param name="Summary">The finished epoch's metrics (with validation) when <paramref name="Kind"/> is <see cref="ProgressKind.EpochEnd"/>.</param>
public sealed record TrainingProgress(ProgressKind Kind, int Epoch, int Epochs, int Step, int StepsPerEpoch, long GlobalStep,
    double Loss, double Accuracy, double ImagesPerSecond, TimeSpan Elapsed, TimeSpan Remaining, double LearningRate,
    EpochRecord? Summary = null);
