using System.Globalization;
using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>
/// The imperative face of a pure <see cref="IOptimizer"/>: it holds the optimizer state for one
/// <see cref="Model"/> and <see cref="Step"/> replaces the model's parameters with the updated ones, as
/// <c>optimizer.step()</c> does in PyTorch. The learning rate of each step comes from the schedule when
/// there is one (indexed by the number of steps taken), else from <see cref="LearningRate"/>.
/// </summary>
public sealed class Optimizer
{
    private const string StepKey = "optimizer.step", LearningRateKey = "optimizer.lr";

    private double _learningRate;

    /// <param name="model">The model whose parameters the steps update.</param>
    /// <param name="algorithm">The update rule, e.g. <c>new Adam(1e-3)</c>.</param>
    /// <param name="schedule">Learning rate per step (<see cref="ISchedule.LearningRate"/> of the step count), or null for the algorithm's rate.</param>
    public Optimizer(Model model, IOptimizer algorithm, ISchedule? schedule = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(algorithm);
        Model = model;
        Algorithm = algorithm;
        Schedule = schedule;
        State = algorithm.Init(model.Parameters);
        _learningRate = algorithm.LearningRate;
    }

    public Model Model { get; }

    public IOptimizer Algorithm { get; }

    public ISchedule? Schedule { get; }

    /// <summary>The algorithm's state (step count and buffers such as <c>exp_avg</c>).</summary>
    public OptimizerState State { get; set; }

    /// <summary>The number of steps taken.</summary>
    public int StepCount => State.Step;

    /// <summary>
    /// The rate the next step uses: the schedule's rate at <see cref="StepCount"/>, or the rate set here (initially the
    /// algorithm's). Setting it is an error when a schedule decides the rate.
    /// </summary>
    public double LearningRate
    {
        get => Schedule?.LearningRate(State.Step) ?? _learningRate;
        set
        {
            if (Schedule is not null)
                throw new InvalidOperationException($"Optimizer.LearningRate cannot be set while the schedule {Schedule.GetType().Name} decides the rate: build the Optimizer without a schedule to set the rate by hand.");
            if (!(value >= 0) || double.IsInfinity(value))
                throw new ArgumentOutOfRangeException(nameof(value), $"Optimizer.LearningRate must be finite and >= 0 but got {value}.");
            _learningRate = value;
        }
    }

    /// <summary>When set, gradients are scaled to this global 2-norm before each step (<see cref="Clip.ByGlobalNorm"/>).</summary>
    public double? ClipGradNorm { get; init; }

    /// <summary>Updates the model's parameters with <paramref name="grads"/> (same paths as the parameters) at <see cref="LearningRate"/>.</summary>
    public void Step(ParamTree<Tensor> grads)
    {
        ArgumentNullException.ThrowIfNull(grads);
        if (ClipGradNorm is double maxNorm) grads = Clip.ByGlobalNorm(grads, maxNorm).Grads;
        var (p, state) = Algorithm.Step(Model.Parameters, grads, State, LearningRate);
        Model.Parameters = p;
        State = state;
    }

    /// <summary>
    /// Writes the state to the companion file of checkpoint <paramref name="path"/> (<see cref="Checkpoint.OptimizerPath"/>),
    /// with the step count, the rate and <paramref name="metadata"/> as metadata.
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            [StepKey] = State.Step.ToString(CultureInfo.InvariantCulture),
            [LearningRateKey] = _learningRate.ToString("R", CultureInfo.InvariantCulture),
        };
        Checkpoint.SaveOptimizer(path, State.Flatten(), meta);
    }

    /// <summary>
    /// Restores the state written by <see cref="Save"/> for checkpoint <paramref name="path"/> and returns the file's metadata.
    /// The buffers must have this optimizer's names and the model's parameter shapes.
    /// </summary>
    public IReadOnlyDictionary<string, string> Load(string path)
    {
        var content = Checkpoint.LoadOptimizer(path);
        if (!content.Metadata.TryGetValue(StepKey, out var stepText) || !int.TryParse(stepText, CultureInfo.InvariantCulture, out int step))
            throw new InvalidDataException($"{Checkpoint.OptimizerPath(path)} has no '{StepKey}' metadata: it was not written by Optimizer.Save.");
        var restored = OptimizerState.Restore(step, content.Tensors);
        var expectedFlat = Algorithm.Init(Model.Parameters).Flatten();
        var found = restored.Flatten();
        bool same = expectedFlat.Count == found.Count;
        for (int i = 0; same && i < found.Count; i++)
            same = expectedFlat[i].Key == found[i].Key && expectedFlat[i].Value.Shape == found[i].Value.Shape && expectedFlat[i].Value.DType == found[i].Value.DType;
        if (!same)
            throw new InvalidDataException($"{Checkpoint.OptimizerPath(path)} holds optimizer buffers [{string.Join(", ", found.Paths)}] but {Algorithm.GetType().Name} for this model expects [{string.Join(", ", expectedFlat.Paths)}]: resume with the optimizer and model that wrote it.");
        State = restored;
        if (content.Metadata.TryGetValue(LearningRateKey, out var lrText) && double.TryParse(lrText, CultureInfo.InvariantCulture, out double lr))
            _learningRate = lr;
        return content.Metadata;
    }
}
