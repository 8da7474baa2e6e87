using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using Cnn.Facade.Data;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>
/// An architecture together with its current parameters and state (batch norm's running statistics): the
/// mutable holder that scripts train, evaluate, save and load. The architecture itself stays a pure value;
/// <see cref="Parameters"/> and <see cref="State"/> are replaced (never mutated in place) by each update.
/// <code>
/// var model = new Model(new FashionLeNet(), seed: 0);
/// var opt = new Optimizer(model, new Adam(1e-3));
/// foreach (var (x, y) in loader.Epoch(epoch))
/// {
///     var (loss, grads) = model.ValueAndGrad(x, y, Losses.CrossEntropy);
///     opt.Step(grads);
/// }
/// </code>
/// </summary>
public sealed class Model
{
    private const int DefaultBatch = 256;

    private ParamTree<Tensor> _parameters;
    private ParamTree<Tensor> _state;
    private readonly Rng _trainingKeys;
    private long _trainingPasses;

    /// <summary>A model of <paramref name="architecture"/> with parameters <c>architecture.Init(Rng.Seed(seed))</c> and its initial state.</summary>
    public Model(ILayer architecture, long seed = 0) : this(architecture, Rng.Seed(seed)) { }

    /// <summary>A model of <paramref name="architecture"/> with parameters <c>architecture.Init(rng)</c> and its initial state.</summary>
    public Model(ILayer architecture, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(architecture);
        Architecture = architecture;
        _parameters = architecture.Init(rng);
        _state = architecture.InitState();
        _trainingKeys = rng.Fold(-1);
    }

    /// <summary>The same as <c>new Model(architecture, rng)</c>.</summary>
    public static Model Create(ILayer architecture, Rng rng) => new(architecture, rng);

    /// <summary>The network: a pure layer value.</summary>
    public ILayer Architecture { get; }

    /// <summary>
    /// The trainable parameters. Setting them checks that the new tree has the same paths, shapes and element
    /// types as the current one (a tree from another architecture is an error).
    /// </summary>
    public ParamTree<Tensor> Parameters
    {
        get => _parameters;
        set => _parameters = RequireSameLayout("Parameters", _parameters, value);
    }

    /// <summary>The non-trainable state (running statistics), checked on assignment as <see cref="Parameters"/>.</summary>
    public ParamTree<Tensor> State
    {
        get => _state;
        set => _state = RequireSameLayout("State", _state, value);
    }

    /// <summary>The number of scalar parameters.</summary>
    public long ParameterCount => _parameters.ScalarCount();

    /// <summary>
    /// The network's output for <paramref name="x"/> in evaluation mode (batch norm uses the running statistics,
    /// dropout is off), computed <paramref name="batchSize"/> samples at a time so large inputs fit in memory.
    /// </summary>
    /// <param name="x">[N, ...] in the input shape of the architecture.</param>
    /// <returns>[N, ...] the outputs, e.g. [N, classes] logits.</returns>
    public Tensor Predict(Tensor x, int batchSize = DefaultBatch)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Model.Predict expects a batch size >= 1 but got {batchSize}.");
        if (x.Rank == 0)
            throw new ArgumentException($"Model.Predict expects a batch [N, ...] but got a scalar; reshape a single sample to [1, ...].", nameof(x));
        int n = x.Shape[0];
        if (n <= batchSize) return Forward(x);
        var parts = new List<Tensor>();
        for (int start = 0; start < n; start += batchSize)
            parts.Add(Forward(Rows(x, start, Math.Min(batchSize, n - start))));
        return Stack(parts);
    }

    /// <summary>The predicted class of each sample: the index of its largest output (ties to the first).</summary>
    /// <param name="x">[N, ...]</param>
    public int[] PredictClasses(Tensor x, int batchSize = DefaultBatch) => Op.ArgMax(Predict(x, batchSize), 1);

    /// <summary>
    /// Loss, accuracy, top-k accuracy and confusion matrix of the model (evaluation mode) on every sample of
    /// <paramref name="data"/>.
    /// </summary>
    /// <param name="loss">The loss to report; cross-entropy when null.</param>
    /// <param name="topK">k for the top-k accuracy (a sample counts when its label is among the k largest outputs).</param>
    public EvalResult Evaluate(TensorDataset data, LossFunction? loss = null, int topK = 5, int batchSize = DefaultBatch)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Evaluate(new DataLoader(data, batchSize), loss, topK);
    }

    /// <summary>The same as <see cref="Evaluate(TensorDataset, LossFunction?, int, int)"/> over the batches of epoch 0 of <paramref name="loader"/>.</summary>
    public EvalResult Evaluate(DataLoader loader, LossFunction? loss = null, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(loader);
        if (topK < 1)
            throw new ArgumentOutOfRangeException(nameof(topK), $"Model.Evaluate expects topK >= 1 but got {topK}.");
        loss ??= Losses.CrossEntropy;
        var acc = new EvalAccumulator(topK);
        foreach (var (x, y) in loader.Epoch(0))
        {
            var output = Forward(x);
            acc.Add(loss(output, y).Value.ToScalar(), output, y);
        }
        return acc.Result();
    }

    /// <summary>
    /// The loss of the batch (<paramref name="x"/>, <paramref name="labels"/>) in training mode and its gradient
    /// with respect to <see cref="Parameters"/>. The model's <see cref="State"/> becomes the state after this
    /// forward pass (batch norm's running statistics move toward the batch's), as one training step of a
    /// PyTorch module in train() mode does. Parameters are not changed: pass the gradients to an
    /// <see cref="Optimizer"/>.
    /// </summary>
    /// <param name="x">[N, ...] inputs.</param>
    /// <param name="labels">N class labels.</param>
    /// <param name="loss">The loss, e.g. <see cref="Losses.CrossEntropy"/>.</param>
    /// <param name="rng">The key for dropout in this pass; when null, a key derived from the model's seed and a count of training passes.</param>
    public TrainStep ValueAndGrad(Tensor x, int[] labels, LossFunction loss, Rng? rng = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(loss);
        var key = rng ?? _trainingKeys.Fold(_trainingPasses++);
        var ctx = LayerContext.Train(key, _state);
        ParamTree<Tensor>? newState = null;
        Tensor? output = null;
        // NOTE: intermediates are released as soon as the backward pass is done with them, so the step
        // reuses the previous step's memory; the output it returns is copied out first.
        var (value, grads) = Diff.ValueAndGrad(q =>
        {
            var r = Architecture.Forward(q, x, ctx);
            newState = r.State;
            output = r.Output.Value.Copy();
            return loss(r.Output, labels);
        }, _parameters, ReleaseIntermediates);
        _state = newState!;
        return new TrainStep(value.ToScalar(), grads, output!);
    }

    private static readonly DiffOptions ReleaseIntermediates = new(ReleaseIntermediates: true);

    /// <summary>A summary of the architecture for input shape <paramref name="input"/> (with the batch axis, e.g. [1, 1, 28, 28]).</summary>
    public Summary Summary(Shape input) => Cnn.Facade.Summary.Of(Architecture, input);

    /// <summary>
    /// Writes parameters and state to <paramref name="path"/> as a safetensors checkpoint (state_dict names), atomically.
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null) =>
        Checkpoint.Save(path, _parameters, _state, metadata);

    /// <summary>
    /// Loads parameters and state from a checkpoint written by <see cref="Save"/>: every entry must be present
    /// with the same shape and nothing else may be in the file (a <see cref="CheckpointMismatchException"/> lists
    /// what differs). Returns the file's metadata.
    /// </summary>
    public IReadOnlyDictionary<string, string> Load(string path)
    {
        var loaded = Checkpoint.Load(path, _parameters, _state, strict: true);
        _parameters = loaded.Parameters;
        _state = loaded.State;
        return loaded.Metadata;
    }

    /// <summary>
    /// Loads a PyTorch state_dict saved as safetensors (<c>safetensors.torch.save_file(model.state_dict(), path)</c>)
    /// whose names match this architecture's (<c>0.weight</c>, <c>features.3.bias</c>, <c>bn1.running_mean</c>).
    /// PyTorch's <c>num_batches_tracked</c> counters are skipped. With <paramref name="strict"/> (as PyTorch's
    /// load_state_dict) any missing, unexpected or mis-shaped entry throws; without it the matching entries are
    /// loaded and the report lists the rest.
    /// </summary>
    public CheckpointReport LoadStateDict(string path, bool strict = true)
    {
        var loaded = Checkpoint.Load(path, _parameters, _state, strict);
        _parameters = loaded.Parameters;
        _state = loaded.State;
        return loaded.Report;
    }

    /// <summary>The output in evaluation mode for one batch.</summary>
    internal Tensor Forward(Tensor x) =>
        Architecture.Forward(_parameters.Map(t => new Var(t)), x, LayerContext.Eval(_state)).Output.Value;

    private static ParamTree<Tensor> RequireSameLayout(string what, ParamTree<Tensor> current, ParamTree<Tensor> value)
    {
        ArgumentNullException.ThrowIfNull(value, what);
        if (value.Count != current.Count)
            throw new ArgumentException($"Model.{what} expects a tree of {current.Count} entries [{string.Join(", ", current.Paths)}] but got {value.Count} [{string.Join(", ", value.Paths)}]: assign a tree from this architecture.");
        for (int i = 0; i < current.Count; i++)
        {
            var (path, t) = current[i];
            var (newPath, u) = value[i];
            if (path != newPath || t.Shape != u.Shape || t.DType != u.DType)
                throw new ArgumentException($"Model.{what} expects entry {i} to be '{path}' {t.DType} {t.Shape} but got '{newPath}' {u.DType} {u.Shape}: assign a tree from this architecture.");
        }
        return value;
    }

    /// <summary>Rows [start, start + count) of <paramref name="x"/> along its first axis.</summary>
    internal static Tensor Rows(Tensor x, int start, int count)
    {
        int row = x.Shape[0] == 0 ? 0 : x.Size / x.Shape[0];
        var shape = x.Shape.With(0, count);
        return x.DType == DType.Float32
            ? Tensor.Own(x.Span<float>().Slice(start * row, count * row).ToArray(), shape)
            : Tensor.Own(x.Span<double>().Slice(start * row, count * row).ToArray(), shape);
    }

    private static Tensor Stack(List<Tensor> parts)
    {
        int n = 0;
        foreach (var t in parts) n += t.Shape[0];
        var shape = parts[0].Shape.With(0, n);
        return parts[0].DType == DType.Float32 ? Stack<float>(parts, shape) : Stack<double>(parts, shape);
    }

    private static Tensor Stack<T>(List<Tensor> parts, Shape shape) where T : unmanaged
    {
        var data = new T[shape.Size];
        int offset = 0;
        foreach (var t in parts)
        {
            t.Span<T>().CopyTo(data.AsSpan(offset));
            offset += t.Size;
        }
        return Tensor.Own(data, shape);
    }
}

/// <summary>
/// One training pass over a batch: the loss, the gradients of the parameters, and the network's output
/// (training mode) for the batch. Deconstructs as <c>var (loss, grads) = model.ValueAndGrad(...)</c>.
/// </summary>
/// <param name="Output">[N, classes] the output of the forward pass that gave the loss.</param>
public sealed record TrainStep(double Loss, ParamTree<Tensor> Grads, Tensor Output)
{
    public void Deconstruct(out double loss, out ParamTree<Tensor> grads)
    {
        loss = Loss;
        grads = Grads;
    }
}
