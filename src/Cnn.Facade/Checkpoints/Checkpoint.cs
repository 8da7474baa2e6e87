using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Facade.Checkpoints;

/// <summary>
/// Model checkpoints as safetensors files that PyTorch reads and writes: parameters and state (batch norm's
/// running statistics) in one file under their state_dict names (<c>0.weight</c>, <c>1.running_mean</c>),
/// sharing one namespace as <c>model.state_dict()</c> does. Optimizer state goes to a companion file
/// (<see cref="OptimizerPath"/>). Every write is atomic (<see cref="AtomicFile.Write"/>).
/// </summary>
public static class Checkpoint
{
    private const string OptimizerSuffix = ".optim.safetensors";
    private const string Extension = ".safetensors";
    private const string BatchCounter = "num_batches_tracked";

    /// <summary>
    /// Writes <paramref name="parameters"/> and then <paramref name="state"/> to <paramref name="path"/> as one
    /// safetensors file with optional string <paramref name="metadata"/>. A name in both trees is an error.
    /// </summary>
    public static void Save(string path, ParamTree<Tensor> parameters, ParamTree<Tensor> state, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(state);
        foreach (var name in state.Paths)
            if (parameters.Contains(name))
                throw new ArgumentException($"Checkpoint.Save: '{name}' is both a parameter and a state entry, but a checkpoint holds them in one namespace (as PyTorch's state_dict); rename one.", nameof(state));
        SafeTensors.Write(path, ParamTree.FromPairs(parameters.Concat(state)), metadata);
    }

    /// <summary>Every tensor in the checkpoint at <paramref name="path"/> and its metadata, without matching them to a model.</summary>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file.</exception>
    public static SafeTensorsContent Read(string path) => SafeTensors.Read(path);

    /// <summary>
    /// Loads the checkpoint at <paramref name="path"/> into the shapes of <paramref name="expectedParams"/> and
    /// <paramref name="expectedState"/> (for instance a model's Init and InitState): each expected entry takes the
    /// file's tensor of the same name and shape, converted to the expected element type.
    /// With <paramref name="strict"/> (the default) anything missing, unexpected or mis-shaped throws a
    /// <see cref="CheckpointMismatchException"/> that lists every such entry at once. Without it, entries that do
    /// not match keep their expected values and the <see cref="LoadedCheckpoint.Report"/> says which.
    /// </summary>
    /// <remarks>
    /// // NOTE: entries named <c>num_batches_tracked</c> (PyTorch's batch norm counters, which only matter for
    /// momentum = None) that the model does not expect are skipped and listed in
    /// <see cref="CheckpointReport.Ignored"/> rather than reported as unexpected, so PyTorch checkpoints load into
    /// models that keep no counter. When the model does expect one it is loaded like any other entry.
    /// </remarks>
    /// <exception cref="InvalidDataException">The file is not a well-formed safetensors file.</exception>
    /// <exception cref="CheckpointMismatchException">Strict loading found missing, unexpected or mis-shaped entries.</exception>
    public static LoadedCheckpoint Load(string path, ParamTree<Tensor> expectedParams, ParamTree<Tensor> expectedState, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(expectedParams);
        ArgumentNullException.ThrowIfNull(expectedState);
        foreach (var name in expectedState.Paths)
            if (expectedParams.Contains(name))
                throw new ArgumentException($"Checkpoint.Load: '{name}' is expected both as a parameter and as a state entry, but a checkpoint holds them in one namespace; rename one.", nameof(expectedState));

        var content = SafeTensors.Read(path);
        var file = content.Tensors;
        var missing = ImmutableArray.CreateBuilder<string>();
        var mismatched = ImmutableArray.CreateBuilder<ShapeMismatch>();
        var parameters = Match(expectedParams, file, missing, mismatched);
        var state = Match(expectedState, file, missing, mismatched);
        var unexpected = ImmutableArray.CreateBuilder<string>();
        var ignored = ImmutableArray.CreateBuilder<string>();
        foreach (var name in file.Paths)
        {
            if (expectedParams.Contains(name) || expectedState.Contains(name)) continue;
            if (name == BatchCounter || name.EndsWith("." + BatchCounter, StringComparison.Ordinal)) ignored.Add(name);
            else unexpected.Add(name);
        }
        var report = new CheckpointReport(missing.ToImmutable(), unexpected.ToImmutable(), mismatched.ToImmutable(), ignored.ToImmutable());
        if (strict && !report.IsExactMatch)
            throw new CheckpointMismatchException(
                $"{path} does not match the model: {report}. Check that the model is built as the one that was saved, or load with strict: false to take the entries that match.",
                report);
        return new LoadedCheckpoint(parameters, state, content.Metadata, report);
    }

    /// <summary>
    /// The companion file that holds optimizer state for the checkpoint at <paramref name="path"/>:
    /// <c>model.safetensors</c> gives <c>model.optim.safetensors</c>, any other name gets <c>.optim.safetensors</c> appended.
    /// </summary>
    public static string OptimizerPath(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stem = path.EndsWith(Extension, StringComparison.OrdinalIgnoreCase) ? path[..^Extension.Length] : path;
        return stem + OptimizerSuffix;
    }

    /// <summary>
    /// Writes optimizer state (a flat tree such as <c>m.0.weight</c>, <c>v.0.weight</c>) and its scalars as
    /// metadata (step count, learning rate) to <see cref="OptimizerPath"/>(<paramref name="path"/>), atomically.
    /// </summary>
    public static void SaveOptimizer(string path, ParamTree<Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        SafeTensors.Write(OptimizerPath(path), tensors, metadata);

    /// <summary>The optimizer state written by <see cref="SaveOptimizer"/> for the checkpoint at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The companion file is not a well-formed safetensors file.</exception>
    public static SafeTensorsContent LoadOptimizer(string path) => SafeTensors.Read(OptimizerPath(path));

    private static ParamTree<Tensor> Match(ParamTree<Tensor> expected, ParamTree<Tensor> file,
        ImmutableArray<string>.Builder missing, ImmutableArray<ShapeMismatch>.Builder mismatched) =>
        expected.Map((name, want) =>
        {
            if (!file.Contains(name))
            {
                missing.Add(name);
                return want;
            }
            var found = file[name];
            if (found.Shape != want.Shape)
            {
                mismatched.Add(new ShapeMismatch(name, want.Shape, found.Shape));
                return want;
            }
            return found.Cast(want.DType);
        });
}
