using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>
/// The training loop as one call, in the manner of Keras' <c>fit</c>: epochs of shuffled mini-batches, an
/// optimizer step per batch at the scheduled rate, validation after each epoch, the best and last
/// checkpoints, early stopping, progress reports, cancellation and bit-exact resuming.
/// <code>
/// var history = Trainer.Fit(model, data.Train, validation, new TrainingOptions { Epochs = 2, OutputDirectory = "out" }, new ConsoleProgress());
/// </code>
/// </summary>
public static class Trainer
{
    /// <summary>The file name of the checkpoint with the best monitored metric.</summary>
    public const string BestFile = "best.safetensors";

    /// <summary>The file name of the checkpoint written after every epoch and when training stops (with its <c>.optim.safetensors</c> companion).</summary>
    public const string LastFile = "last.safetensors";

    /// <summary>
    /// Trains <paramref name="model"/> on <paramref name="train"/> as <paramref name="options"/> say, updating its
    /// parameters and state in place, and returns the per-epoch history.
    /// </summary>
    /// <param name="validation">Evaluated after every epoch (evaluation mode); null for none.</param>
    /// <param name="progress">Receives a report after every step and every epoch (e.g. <see cref="ConsoleProgress"/>).</param>
    /// <param name="cancellationToken">When signalled, training stops after the step in progress and saves the last checkpoint.</param>
    /// <exception cref="TrainingDivergedException">A step's loss was NaN or infinite; its message names the epoch and step.</exception>
    public static TrainingHistory Fit(Model model, TensorDataset train, TensorDataset? validation, TrainingOptions options,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (train.Count == 0)
            throw new ArgumentException("Trainer.Fit got an empty training set.", nameof(train));
        return new Run(model, train, validation, options, progress, cancellationToken).Go();
    }

    /// <summary>The mutable bookkeeping of one call of <see cref="Fit"/>.</summary>
    private sealed class Run
    {
        private readonly Model _model;
        private readonly TensorDataset? _validation;
        private readonly TrainingOptions _o;
        private readonly IProgress<TrainingProgress>? _progress;
        private readonly CancellationToken _ct;
        private readonly DataLoader _loader;
        private readonly Optimizer _opt;
        private readonly Rng _dropoutKeys;
        private readonly string? _last, _best;
        private readonly int _stepsPerEpoch, _plannedSteps;

        private readonly List<EpochRecord> _history = [];
        private TrainerCounters _c;
        private PlateauState? _plateau;

        public Run(Model model, TensorDataset train, TensorDataset? validation, TrainingOptions o,
            IProgress<TrainingProgress>? progress, CancellationToken ct)
        {
            _model = model;
            _validation = validation;
            _o = o;
            _progress = progress;
            _ct = ct;
            var transform = (o.Augment, o.Preprocess) switch
            {
                (null, var p) => p,
                (var a, null) => a,
                (var a, var p) => new Compose(a, p),
            };
            _loader = new DataLoader(train, o.BatchSize, o.Shuffle, dropLast: false, o.Seed, transform);
            _stepsPerEpoch = _loader.BatchesPerEpoch;
            int total = checked(o.Epochs * _stepsPerEpoch);
            _plannedSteps = o.MaxSteps is int max ? Math.Min(max, total) : total;
            _opt = new Optimizer(model, o.Optimizer, o.Schedule?.Invoke(total)) { ClipGradNorm = o.ClipGradNorm };
            _dropoutKeys = Rng.Seed(o.Seed).Split().Item1;
            _plateau = o.Plateau?.Init(_opt.LearningRate);
            _c = TrainerCounters.Start(o);
            if (o.OutputDirectory is string dir)
            {
                Directory.CreateDirectory(dir);
                _last = Path.Combine(dir, LastFile);
                _best = Path.Combine(dir, BestFile);
            }
        }

        public TrainingHistory Go()
        {
            if (_o.Resume && File.Exists(_last)) Restore();
            while (_c.Epoch < _o.Epochs)
            {
                if (_c.GlobalStep >= _plannedSteps) return History(StopReason.MaxSteps);
                var stop = TrainEpoch();
                if (stop is StopReason reason) return History(reason);
                if (EndEpoch()) return History(StopReason.EarlyStopped);
                if (_ct.IsCancellationRequested) return History(StopReason.Cancelled);
            }
            return History(_c.GlobalStep >= _plannedSteps && _plannedSteps < _o.Epochs * _stepsPerEpoch ? StopReason.MaxSteps : StopReason.Completed);
        }

        /// <summary>Runs the remaining steps of the current epoch; a reason when training must stop within it.</summary>
        private StopReason? TrainEpoch()
        {
            var clock = Stopwatch.StartNew();
            double secondsBefore = _c.Seconds;
            foreach (var (x, y) in _loader.Epoch(_c.Epoch).Skip(_c.StepInEpoch))
            {
                // NOTE: a step runs in a scope that keeps only what outlives it (parameters, model state, optimizer
                // buffers), so the arrays of its gradients and output serve the next step instead of fresh ones.
                using var scope = TensorScope.Begin();
                var stateBefore = _model.State;
                double lr = _opt.LearningRate;
                var step = _model.ValueAndGrad(x, y, _o.Loss, _dropoutKeys.Fold(_c.GlobalStep));
                if (!double.IsFinite(step.Loss))
                {
                    _model.State = stateBefore;
                    throw Diverged(step.Loss, lr);
                }
                _opt.Step(step.Grads);
                scope.Keep(_model.Parameters);
                scope.Keep(_model.State);
                scope.Keep(_opt.State.Flatten());
                _c.LastLearningRate = lr;
                _c.LossSum += step.Loss * y.Length;
                _c.Hits += EvalAccumulator.Score(step.Output, y, 1).Hits;
                _c.Samples += y.Length;
                _c.StepInEpoch++;
                _c.GlobalStep++;
                _c.Seconds = secondsBefore + clock.Elapsed.TotalSeconds;
                Report(ProgressKind.Step, null);
                bool endOfEpoch = _c.StepInEpoch == _stepsPerEpoch;
                if (!endOfEpoch && _ct.IsCancellationRequested) return SaveMidEpoch(StopReason.Cancelled);
                if (!endOfEpoch && _c.GlobalStep >= _plannedSteps) return SaveMidEpoch(StopReason.MaxSteps);
            }
            return null;
        }

        private StopReason SaveMidEpoch(StopReason reason)
        {
            SaveLast();
            return reason;
        }

        /// <summary>Validation, plateau, best checkpoint, early stopping and the last checkpoint after an epoch; true to stop early.</summary>
        private bool EndEpoch()
        {
            EvalResult? val = _validation is null ? null
                : _model.Evaluate(new DataLoader(_validation, _o.EvalBatchSize, transform: _o.Preprocess), _o.Loss, _o.TopK);
            double trainLoss = _c.LossSum / _c.Samples, trainAcc = (double)_c.Hits / _c.Samples;
            var record = new EpochRecord(_c.Epoch + 1, trainLoss, trainAcc, val?.Loss, val?.Accuracy, val?.TopKAccuracy,
                _c.LastLearningRate, _c.Seconds, _c.Seconds > 0 ? _c.Samples / _c.Seconds : 0);
            _history.Add(record);

            if (_plateau is PlateauState ps)
            {
                var (lr, next) = _o.Plateau!.Update(val?.Loss ?? trainLoss, ps);
                _plateau = next;
                _opt.LearningRate = lr;
            }

            double bestMetric = Measure(_o.BestBy, val, trainLoss, trainAcc);
            if (Improves(_o.BestBy, bestMetric, _c.Best, 0))
            {
                _c.Best = bestMetric;
                _c.BestEpochOrZero = record.Epoch;
                if (_best is not null) _model.Save(_best, ModelMetadata(record.Epoch));
            }

            bool stop = false;
            if (_o.EarlyStopping is EarlyStopping es)
            {
                double m = Measure(es.Monitor, val, trainLoss, trainAcc);
                if (Improves(es.Monitor, m, _c.EarlyBest, es.MinDelta))
                {
                    _c.EarlyBest = m;
                    _c.BadEpochs = 0;
                }
                else stop = ++_c.BadEpochs >= es.Patience;
            }

            _c.Epoch++;
            _c.StepInEpoch = 0;
            _c.LossSum = 0;
            _c.Hits = 0;
            _c.Samples = 0;
            _c.Seconds = 0;
            SaveLast();
            Report(ProgressKind.EpochEnd, record);
            return stop;
        }

        private static double Measure(Metric m, EvalResult? val, double trainLoss, double trainAcc) => m switch
        {
            Metric.ValidationLoss => val?.Loss ?? trainLoss,
            _ => val?.Accuracy ?? trainAcc,
        };

        // NOTE: a NaN metric never improves on the best (as ReduceLROnPlateau treats it).
        private static bool Improves(Metric m, double value, double best, double minDelta) =>
            double.IsNaN(best) ? !double.IsNaN(value)
            : m == Metric.ValidationLoss ? value < best - minDelta : value > best + minDelta;

        private void Report(ProgressKind kind, EpochRecord? summary)
        {
            if (_progress is null) return;
            int epochShown = kind == ProgressKind.EpochEnd ? _c.Epoch : _c.Epoch + 1;
            int steps = kind == ProgressKind.EpochEnd ? _stepsPerEpoch : _c.StepInEpoch;
            double seconds = summary?.Seconds ?? _c.Seconds;
            double perStep = steps > 0 ? seconds / steps : 0;
            _progress.Report(new TrainingProgress(kind, epochShown, _o.Epochs, steps, _stepsPerEpoch, _c.GlobalStep,
                summary?.TrainLoss ?? _c.LossSum / _c.Samples, summary?.TrainAccuracy ?? (double)_c.Hits / _c.Samples,
                summary?.ImagesPerSecond ?? (seconds > 0 ? _c.Samples / seconds : 0),
                TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(perStep * Math.Max(0, _plannedSteps - _c.GlobalStep)),
                _c.LastLearningRate, summary));
        }

        private TrainingDivergedException Diverged(double loss, double lr)
        {
            int epoch = _c.Epoch + 1, step = _c.StepInEpoch + 1;
            string kept = _last is not null && File.Exists(_last)
                ? $"The last good checkpoint is {_last} ({(_history.Count > 0 ? $"after epoch {_history[^1].Epoch}" : "within epoch " + epoch)})."
                : "No checkpoint had been written yet.";
            string message = string.Create(CultureInfo.InvariantCulture,
                $"Training stopped: the loss became {loss} at epoch {epoch}, step {step} of {_stepsPerEpoch} (global step {_c.GlobalStep + 1}), so that step was not applied. {kept} Lower the learning rate (it was {lr:G4}), clip gradients (TrainingOptions.ClipGradNorm), or check the inputs for NaN.");
            return new TrainingDivergedException(message, History(StopReason.Diverged), epoch, step);
        }

        private TrainingHistory History(StopReason reason) => new([.. _history], reason, _c.GlobalStep, _c.BestEpoch,
            _best is not null && File.Exists(_best) ? _best : null, _last is not null && File.Exists(_last) ? _last : null);

        private Dictionary<string, string> ModelMetadata(int epochsDone) => new()
        {
            ["trainer.epochs_done"] = epochsDone.ToString(CultureInfo.InvariantCulture),
            ["trainer.global_step"] = _c.GlobalStep.ToString(CultureInfo.InvariantCulture),
        };

        private void SaveLast()
        {
            if (_last is null) return;
            var meta = _c.ToMetadata(_stepsPerEpoch, _o);
            if (_plateau is PlateauState ps) meta["trainer.plateau"] = TrainerCounters.Join(ps.Lr, ps.Best, ps.NumBadEpochs, ps.CooldownCounter);
            meta["trainer.history"] = string.Join('\n', _history.Select(e => e.Serialize()));
            // NOTE: the optimizer file goes first; both carry the global step, so a crash between the two writes is caught on resume.
            _opt.Save(_last, meta);
            _model.Save(_last, ModelMetadata(_history.Count));
        }

        private void Restore()
        {
            var modelMeta = _model.Load(_last!);
            var meta = _opt.Load(_last!);
            _c = TrainerCounters.FromMetadata(meta, _stepsPerEpoch, _o, _last!);
            if (!modelMeta.TryGetValue("trainer.global_step", out var g) || g != _c.GlobalStep.ToString(CultureInfo.InvariantCulture))
                throw new InvalidDataException($"{_last} (global step {g ?? "unknown"}) and its optimizer file (global step {_c.GlobalStep}) come from different moments; the run was interrupted while saving. Delete both to start afresh.");
            if (meta.TryGetValue("trainer.plateau", out var p) && _o.Plateau is not null)
            {
                var f = TrainerCounters.Split(p);
                _plateau = new PlateauState(f[0], f[1], (int)f[2], (int)f[3]);
            }
            _history.Clear();
            if (meta.TryGetValue("trainer.history", out var h) && h.Length > 0)
                foreach (var line in h.Split('\n')) _history.Add(EpochRecord.Parse(line));
        }
    }
}

/// <summary>The counters of a training run that a resume must restore to continue exactly.</summary>
internal struct TrainerCounters
{
    public int Epoch, StepInEpoch, BestEpochOrZero, BadEpochs;
    public long GlobalStep, Hits, Samples;
    public double LossSum, Seconds, Best, EarlyBest, LastLearningRate;

    public readonly int? BestEpoch => BestEpochOrZero == 0 ? null : BestEpochOrZero;

    public static TrainerCounters Start(TrainingOptions o) => new()
    {
        Best = double.NaN,
        EarlyBest = double.NaN,
        LastLearningRate = o.Optimizer.LearningRate,
    };

    private const string Key = "trainer.counters", RunKey = "trainer.run";

    // The settings that fix the sequence of batches: a resume with other values would not continue the same run.
    private static string RunText(int stepsPerEpoch, TrainingOptions o) =>
        string.Create(CultureInfo.InvariantCulture, $"steps per epoch {stepsPerEpoch}, batch size {o.BatchSize}, seed {o.Seed}, epochs {o.Epochs}");

    public readonly Dictionary<string, string> ToMetadata(int stepsPerEpoch, TrainingOptions o) => new()
    {
        [Key] = Join(Epoch, StepInEpoch, BestEpochOrZero, BadEpochs, GlobalStep, Hits, Samples, LossSum, Seconds, Best, EarlyBest, LastLearningRate),
        [RunKey] = RunText(stepsPerEpoch, o),
    };

    public static TrainerCounters FromMetadata(IReadOnlyDictionary<string, string> meta, int stepsPerEpoch, TrainingOptions o, string path)
    {
        if (!meta.TryGetValue(Key, out var text) || !meta.TryGetValue(RunKey, out var run))
            throw new InvalidDataException($"{Checkpoint.OptimizerPath(path)} has no trainer counters: it was not written by Trainer.Fit.");
        if (run != RunText(stepsPerEpoch, o))
            throw new ArgumentException($"{path} was written by a run with {run}, but this run has {RunText(stepsPerEpoch, o)}: resume with the same data and options, or use another output folder.");
        var f = Split(text);
        return new TrainerCounters
        {
            Epoch = (int)f[0], StepInEpoch = (int)f[1], BestEpochOrZero = (int)f[2], BadEpochs = (int)f[3],
            GlobalStep = (long)f[4], Hits = (long)f[5], Samples = (long)f[6],
            LossSum = f[7], Seconds = f[8], Best = f[9], EarlyBest = f[10], LastLearningRate = f[11],
        };
    }

    public static string Join(params double[] values) => string.Join(';', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    public static double[] Split(string text) => text.Split(';').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
}
