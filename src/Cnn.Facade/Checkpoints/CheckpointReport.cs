using System.Collections.Immutable;
using Cnn.Autodiff;

namespace Cnn.Facade.Checkpoints;

/// <summary>An entry whose shape in the file differs from the shape the model expects.</summary>
public readonly record struct ShapeMismatch(string Name, Shape Expected, Shape Found)
{
    public override string ToString() => $"{Name}: expected {Expected}, found {Found}";
}

/// <summary>
/// How a checkpoint file matched the model: entries the model expects that the file lacks, entries the
/// file has that the model does not expect, entries whose shapes differ, and entries skipped by rule
/// (PyTorch's <c>num_batches_tracked</c> counters, see <see cref="Checkpoint.Load"/>).
/// </summary>
public sealed record CheckpointReport(
    ImmutableArray<string> Missing,
    ImmutableArray<string> Unexpected,
    ImmutableArray<ShapeMismatch> Mismatched,
    ImmutableArray<string> Ignored)
{
    /// <summary>True when every expected entry was loaded and the file held nothing else (ignored entries aside).</summary>
    public bool IsExactMatch => Missing.IsEmpty && Unexpected.IsEmpty && Mismatched.IsEmpty;

    /// <summary>Every problem on one line: counts and names of missing, unexpected and mis-shaped entries.</summary>
    public override string ToString()
    {
        if (IsExactMatch) return "all entries match";
        var parts = new List<string>();
        if (!Missing.IsEmpty) parts.Add($"{Missing.Length} missing [{string.Join(", ", Missing)}]");
        if (!Unexpected.IsEmpty) parts.Add($"{Unexpected.Length} unexpected [{string.Join(", ", Unexpected)}]");
        if (!Mismatched.IsEmpty) parts.Add($"{Mismatched.Length} mis-shaped [{string.Join("; ", Mismatched)}]");
        return string.Join("; ", parts);
    }
}

/// <summary>A strict load found missing, unexpected or mis-shaped entries; <see cref="Report"/> lists all of them.</summary>
public sealed class CheckpointMismatchException(string message, CheckpointReport report) : Exception(message)
{
    public CheckpointReport Report { get; } = report;
}

/// <summary>
/// The result of <see cref="Checkpoint.Load"/>: the expected trees with the file's values put in where names
/// and shapes match (converted to the expected element type), the file's metadata, and the match report.
/// </summary>
public sealed record LoadedCheckpoint(
    ParamTree<Tensor> Parameters,
    ParamTree<Tensor> State,
    IReadOnlyDictionary<string, string> Metadata,
    CheckpointReport Report);
