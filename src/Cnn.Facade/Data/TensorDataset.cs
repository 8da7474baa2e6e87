using Cnn.Autodiff;

namespace Cnn.Facade.Data;

/// <summary>
/// Samples held in memory: an input tensor [N, ...] (float32 or float64) whose first axis indexes the samples,
/// and one integer class label per sample.
/// </summary>
public sealed class TensorDataset
{
    private readonly int[] _labels;

    /// <summary>Pairs <paramref name="inputs"/> with <paramref name="labels"/> (the labels are copied).</summary>
    /// <param name="inputs">[N, ...] with rank at least 1.</param>
    /// <param name="labels">N labels, none negative.</param>
    public TensorDataset(Tensor inputs, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        if (inputs.Rank == 0)
            throw new ArgumentException("TensorDataset expects inputs [N, ...] with a sample axis first but got a scalar; reshape to [1, ...] for a single sample.", nameof(inputs));
        if (inputs.Shape[0] != labels.Length)
            throw new ArgumentException($"TensorDataset expects one label per sample: inputs {inputs.Shape} hold {inputs.Shape[0]} samples but got {labels.Length} labels.", nameof(labels));
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0)
                throw new ArgumentException($"TensorDataset expects class labels >= 0 but label {i} is {labels[i]}.", nameof(labels));
        Inputs = inputs;
        _labels = (int[])labels.Clone();
    }

    /// <summary>All inputs, [N, ...].</summary>
    public Tensor Inputs { get; }

    /// <summary>All labels, one per sample.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The number of samples N.</summary>
    public int Count => _labels.Length;

    /// <summary>The shape of one sample (the input shape without its first axis).</summary>
    public Shape SampleShape => Shape.Create(Inputs.Shape.Dims.AsSpan()[1..]);

    /// <summary>
    /// The samples at <paramref name="indices"/>, in that order, stacked into a batch [indices.Length, ...] with
    /// their labels. Indices may repeat.
    /// </summary>
    public (Tensor X, int[] Y) Gather(ReadOnlySpan<int> indices)
    {
        var y = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            if ((uint)indices[i] >= (uint)Count)
                throw new ArgumentOutOfRangeException(nameof(indices), $"TensorDataset.Gather got index {indices[i]} at position {i} but the dataset has {Count} samples (valid: 0..{Count - 1}).");
            y[i] = _labels[indices[i]];
        }
        var shape = Inputs.Shape.With(0, indices.Length);
        var x = Inputs.DType == DType.Float32
            ? Tensor.FromArray(GatherRows(Inputs.Span<float>(), indices), shape)
            : Tensor.FromArray(GatherRows(Inputs.Span<double>(), indices), shape);
        return (x, y);
    }

    /// <summary>A new dataset of the samples at <paramref name="indices"/>, in that order.</summary>
    public TensorDataset Subset(ReadOnlySpan<int> indices)
    {
        var (x, y) = Gather(indices);
        return new TensorDataset(x, y);
    }

    /// <summary>A new dataset of the <paramref name="count"/> samples starting at <paramref name="start"/>.</summary>
    public TensorDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start > Count - count)
            throw new ArgumentOutOfRangeException(nameof(count), $"TensorDataset.Slice({start}, {count}) is outside the dataset's {Count} samples.");
        var indices = new int[count];
        for (int i = 0; i < count; i++) indices[i] = start + i;
        return Subset(indices);
    }

    /// <summary>
    /// Splits the samples at random into a training part and a validation part of <paramref name="validationCount"/>
    /// samples. The split depends only on <paramref name="seed"/> and <see cref="Count"/>; both parts keep the
    /// samples' original order, and together they hold every sample exactly once.
    /// </summary>
    public (TensorDataset Train, TensorDataset Validation) Split(int validationCount, long seed)
    {
        if (validationCount < 0 || validationCount > Count)
            throw new ArgumentOutOfRangeException(nameof(validationCount), $"TensorDataset.Split expects a validation count in 0..{Count} but got {validationCount}.");
        var inValidation = new bool[Count];
        var permutation = Rng.Seed(seed).Permutation(Count);
        for (int i = 0; i < validationCount; i++) inValidation[permutation[i]] = true;
        var train = new int[Count - validationCount];
        var validation = new int[validationCount];
        for (int i = 0, t = 0, v = 0; i < Count; i++)
        {
            if (inValidation[i]) validation[v++] = i;
            else train[t++] = i;
        }
        return (Subset(train), Subset(validation));
    }

    /// <summary>How many samples carry each label 0..<paramref name="classes"/>-1.</summary>
    public int[] ClassCounts(int classes)
    {
        var counts = new int[classes];
        foreach (int label in _labels)
        {
            if (label >= classes)
                throw new ArgumentOutOfRangeException(nameof(classes), $"TensorDataset.ClassCounts({classes}) found label {label}; pass a class count above the largest label.");
            counts[label]++;
        }
        return counts;
    }

    private T[] GatherRows<T>(ReadOnlySpan<T> source, ReadOnlySpan<int> indices) where T : unmanaged
    {
        int row = Count == 0 ? 0 : source.Length / Count;
        var data = new T[indices.Length * row];
        for (int i = 0; i < indices.Length; i++)
            source.Slice(indices[i] * row, row).CopyTo(data.AsSpan(i * row, row));
        return data;
    }
}
