using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;
using Cnn.Layers;
using Cnn.Unit.Facade.Checkpoints;
using static Cnn.Unit.Facade.Training.TrainingFixtures;

namespace Cnn.Unit.Facade.Training;

public class TrainerTests
{
    private static readonly TensorDataset Train = Quadrants(120, seed: 1);
    private static readonly TensorDataset Validation = Quadrants(60, seed: 2);

    private static TrainingOptions Options(string? dir = null) => new()
    {
        Epochs = 3,
        BatchSize = 16,
        Optimizer = new Adam(1e-2),
        OutputDirectory = dir,
        Seed = 5,
    };

    [Fact]
    public void Fit_TinyDataset_ValidationAccuracyRises()
    {
        var model = new Model(SmallNet(), seed: 0);
        double before = model.Evaluate(Validation).Accuracy;

        var history = Trainer.Fit(model, Train, Validation, Options() with { Epochs = 4 });

        Assert.Equal(StopReason.Completed, history.StopReason);
        Assert.Equal(4, history.Epochs.Length);
        Assert.Equal(4 * 8, history.Steps);
        Assert.True(history.Epochs[^1].ValidationAccuracy >= 0.9, $"validation accuracy {history.Epochs[^1].ValidationAccuracy} (before: {before})");
        Assert.True(history.Epochs[^1].TrainLoss < history.Epochs[0].TrainLoss);
        Assert.Equal(history.Epochs[^1].ValidationAccuracy, model.Evaluate(Validation).Accuracy);
        Assert.Equal(4, history.ToLearningCurves().Count);
    }

    [Fact]
    public void Fit_ParametersAndAdamBuffersOfPooledSize_SurviveTheStepsScopes()
    {
        // The 64 x 512 weight and Adam's two buffers for it are large enough to be recycled, so every step's
        // scope must keep them; the checkpoints read them at each epoch's end, and a second run must agree bit for bit.
        static Sequential Wide() => new(new Flatten(), new Linear(64, 512), new ReLU(), new Linear(512, 4));
        using var dir = new TempDirectory();
        var model = new Model(Wide(), seed: 0);
        var history = Trainer.Fit(model, Train, Validation, Options(dir.Root) with { Epochs = 2 });
        var again = new Model(Wide(), seed: 0);
        Trainer.Fit(again, Train, Validation, Options() with { Epochs = 2 });

        Assert.True(TreesBitEqual(model.Parameters, again.Parameters));
        Assert.True(history.Epochs[^1].ValidationAccuracy >= 0.9, $"validation accuracy {history.Epochs[^1].ValidationAccuracy}");
        var resumed = new Optimizer(new Model(Wide(), seed: 3), new Adam(1e-2));
        resumed.Load(history.LastCheckpoint!);
        Assert.Equal(2 * 8, resumed.StepCount);
    }

    [Fact]
    public void Fit_MetricStalls_EarlyStoppingAfterPatience()
    {
        // A zero learning rate never changes the parameters of a network without batch norm, so validation loss never improves after epoch 1.
        var model = new Model(LinearNet(), seed: 0);
        var options = Options() with { Epochs = 10, Optimizer = new Sgd(0), EarlyStopping = new EarlyStopping(Patience: 2) };

        var history = Trainer.Fit(model, Train, Validation, options);

        Assert.Equal(StopReason.EarlyStopped, history.StopReason);
        Assert.Equal(3, history.Epochs.Length);
    }

    [Fact]
    public void Fit_OutputDirectory_WritesBestAndLastCheckpoints()
    {
        using var dir = new TempDirectory();
        var model = new Model(SmallNet(), seed: 0);

        var history = Trainer.Fit(model, Train, Validation, Options(dir.Root) with { BestBy = Metric.ValidationAccuracy });

        Assert.Equal(["best.safetensors", "last.optim.safetensors", "last.safetensors"], dir.Names());
        Assert.Equal(dir.File("best.safetensors"), history.BestCheckpoint);
        Assert.Equal(dir.File("last.safetensors"), history.LastCheckpoint);
        var last = new Model(SmallNet(), seed: 9);
        last.Load(history.LastCheckpoint!);
        Assert.True(TreesBitEqual(model.Parameters, last.Parameters));
        Assert.True(TreesBitEqual(model.State, last.State));

        var best = new Model(SmallNet(), seed: 9);
        best.Load(history.BestCheckpoint!);
        double bestAccuracy = history.Epochs.Max(e => e.ValidationAccuracy!.Value);
        Assert.Equal(bestAccuracy, history.Epochs[history.BestEpoch!.Value - 1].ValidationAccuracy);
        Assert.Equal(bestAccuracy, best.Evaluate(Validation).Accuracy);
    }

    [Theory]
    [InlineData(11)] // mid-epoch (8 steps per epoch)
    [InlineData(16)] // at an epoch boundary
    public void Fit_StopAndResume_BitIdenticalToUninterrupted(int stopAt)
    {
        var options = Options() with
        {
            Epochs = 4,
            Optimizer = new AdamW(1e-2),
            Schedule = total => new OneCycleLR(2e-2, total),
            Augment = new Compose(new RandomCrop(1), new RandomHorizontalFlip()),
            EarlyStopping = new EarlyStopping(Patience: 10),
        };
        var whole = new Model(SmallNet(), seed: 3);
        var wholeHistory = Trainer.Fit(whole, Train, Validation, options);

        using var dir = new TempDirectory();
        var first = new Model(SmallNet(), seed: 3);
        var stopped = Trainer.Fit(first, Train, Validation, options with { OutputDirectory = dir.Root, MaxSteps = stopAt });
        Assert.Equal(StopReason.MaxSteps, stopped.StopReason);
        Assert.Equal(stopAt, stopped.Steps);

        var resumed = new Model(SmallNet(), seed: 77);
        var resumedHistory = Trainer.Fit(resumed, Train, Validation, options with { OutputDirectory = dir.Root, Resume = true });

        Assert.Equal(StopReason.Completed, resumedHistory.StopReason);
        Assert.Equal(wholeHistory.Steps, resumedHistory.Steps);
        Assert.True(TreesBitEqual(whole.Parameters, resumed.Parameters), "parameters differ after resuming");
        Assert.True(TreesBitEqual(whole.State, resumed.State), "batch norm state differs after resuming");
        Assert.Equal(wholeHistory.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.LearningRate)),
            resumedHistory.Epochs.Select(e => (e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.LearningRate)));
    }

    [Fact]
    public void Fit_Resume_WithOtherBatchSize_ThrowsNamingBoth()
    {
        using var dir = new TempDirectory();
        Trainer.Fit(new Model(SmallNet()), Train, null, Options(dir.Root) with { MaxSteps = 3 });

        var e = Assert.Throws<ArgumentException>(() =>
            Trainer.Fit(new Model(SmallNet()), Train, null, Options(dir.Root) with { BatchSize = 32, Resume = true }));
        Assert.Contains("batch size 16", e.Message);
        Assert.Contains("batch size 32", e.Message);
    }

    [Fact]
    public void Fit_Cancelled_StopsAfterCurrentStepAndSavesLast()
    {
        using var dir = new TempDirectory();
        using var cts = new CancellationTokenSource();
        var model = new Model(SmallNet(), seed: 0);
        var progress = new ListProgress(p =>
        {
            if (p.Kind == ProgressKind.Step && p.GlobalStep == 3) cts.Cancel();
        });

        var history = Trainer.Fit(model, Train, Validation, Options(dir.Root), progress, cts.Token);

        Assert.Equal(StopReason.Cancelled, history.StopReason);
        Assert.Equal(3, history.Steps);
        Assert.Empty(history.Epochs);
        Assert.Null(history.BestCheckpoint);
        var saved = new Model(SmallNet(), seed: 9);
        saved.Load(history.LastCheckpoint!);
        Assert.True(TreesBitEqual(model.Parameters, saved.Parameters));
    }

    [Fact]
    public void Fit_HugeLearningRate_StopsNamingEpochAndStep_LastGoodCheckpointKept()
    {
        using var dir = new TempDirectory();
        var model = new Model(SmallNet(), seed: 0);
        ParamTree<Tensor>? afterEpoch1 = null;
        var progress = new ListProgress(p =>
        {
            if (p.Kind == ProgressKind.EpochEnd && p.Epoch == 1) afterEpoch1 = model.Parameters;
        });
        // 8 steps per epoch: from step 10 (epoch 2, step 3) on, a rate of 1e30 blows the parameters up.
        var options = Options(dir.Root) with { Optimizer = new Sgd(0.1), Schedule = _ => new JumpSchedule(0.1, 1e30, At: 10) };

        var e = Assert.Throws<TrainingDivergedException>(() => Trainer.Fit(model, Train, Validation, options, progress));

        Assert.Equal(2, e.Epoch);
        Assert.Contains("epoch 2, step", e.Message);
        Assert.Contains("last good checkpoint", e.Message);
        Assert.Contains("Lower the learning rate", e.Message);
        Assert.Single(e.History.Epochs);
        Assert.Equal(StopReason.Diverged, e.History.StopReason);
        var saved = new Model(SmallNet(), seed: 9);
        saved.Load(dir.File("last.safetensors"));
        Assert.True(TreesBitEqual(afterEpoch1!, saved.Parameters), "the last checkpoint should hold the parameters after epoch 1");
        Assert.All(saved.Parameters.Values, t => Assert.All(t.ToDoubleArray(), v => Assert.True(double.IsFinite(v))));
    }

    [Fact]
    public void Fit_NaNInput_StopsAtFirstStepWithoutCheckpoint()
    {
        var pixels = Train.Inputs.ToFloatArray();
        pixels[0] = float.NaN;
        var poisoned = new TensorDataset(Tensor.FromArray(pixels, Train.Inputs.Shape), Train.Labels.ToArray());
        var model = new Model(SmallNet(), seed: 0);
        var before = model.Parameters;
        var stateBefore = model.State;

        var e = Assert.Throws<TrainingDivergedException>(() =>
            Trainer.Fit(model, poisoned, null, Options() with { BatchSize = 120, Shuffle = false }));

        Assert.Contains("loss became NaN at epoch 1, step 1 of 1", e.Message);
        Assert.Contains("check the inputs for NaN", e.Message);
        Assert.Same(before, model.Parameters);
        Assert.Same(stateBefore, model.State);
    }

    [Fact]
    public void Fit_Progress_ReportsEveryStepAndEveryEpoch()
    {
        var progress = new ListProgress();

        Trainer.Fit(new Model(SmallNet()), Train, Validation, Options(), progress);

        var steps = progress.Reports.Where(p => p.Kind == ProgressKind.Step).ToArray();
        var epochs = progress.Reports.Where(p => p.Kind == ProgressKind.EpochEnd).ToArray();
        Assert.Equal(Enumerable.Range(1, 24).Select(i => (long)i), steps.Select(p => p.GlobalStep));
        Assert.Equal(Enumerable.Range(1, 8), steps.Take(8).Select(p => p.Step));
        Assert.Equal([1, 2, 3], epochs.Select(p => p.Epoch));
        Assert.All(epochs, p => Assert.NotNull(p.Summary?.ValidationAccuracy));
        Assert.All(steps, p => Assert.True(p.Loss > 0 && p.ImagesPerSecond > 0 && p.Epochs == 3 && p.StepsPerEpoch == 8));
        Assert.Equal(TimeSpan.Zero, steps[^1].Remaining);
    }

    [Fact]
    public void Fit_ScheduleAndPlateauTogether_Throws()
    {
        var options = Options() with { Schedule = t => new CosineAnnealingLR(1e-2, t), Plateau = new ReduceLROnPlateau() };
        var e = Assert.Throws<ArgumentException>(() => Trainer.Fit(new Model(SmallNet()), Train, null, options));
        Assert.Contains("only one may decide the learning rate", e.Message);
    }

    [Fact]
    public void Fit_Plateau_LowersRateWhenLossStalls()
    {
        // A rate of 1e-9 barely moves the loss of a network without batch norm, so every epoch after the first is a bad one.
        var options = Options() with { Epochs = 4, Optimizer = new Sgd(1e-9), Plateau = new ReduceLROnPlateau(factor: 0.5, patience: 0, eps: 0) };

        var history = Trainer.Fit(new Model(LinearNet()), Train, Validation, options);

        Assert.Equal([1e-9, 1e-9, 5e-10, 2.5e-10], history.Epochs.Select(e => e.LearningRate));
    }
}
