using Cnn.Autodiff;

namespace Cnn.Facade.Data;

/// <summary>
/// Cuts a <see cref="TensorDataset"/> into mini-batches, epoch by epoch. With shuffling, epoch e visits the
/// samples in a permutation drawn from a key derived from (seed, e): the same seed and epoch give the same
/// batches, different epochs give different orders, and every epoch visits every sample exactly once (minus the
/// short last batch with <c>dropLast</c>). The optional transform sees each batch with a key derived from
/// (seed, e), and so augments sample i the same way whenever (seed, e, i) is the same.
/// </summary>
public sealed class DataLoader
{
    private readonly Rng _root;

    /// <param name="dataset">The samples.</param>
    /// <param name="batchSize">Samples per batch, at least 1.</param>
    /// <param name="shuffle">Visit the samples in a fresh random order each epoch (else in dataset order).</param>
    /// <param name="dropLast">Leave out the last batch when it is shorter than <paramref name="batchSize"/>.</param>
    /// <param name="seed">Seeds the shuffling and the transform's randomness.</param>
    /// <param name="transform">Applied to each batch of inputs, or null.</param>
    public DataLoader(TensorDataset dataset, int batchSize, bool shuffle = false, bool dropLast = false, long seed = 0, IBatchTransform? transform = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"DataLoader expects a batch size >= 1 but got {batchSize}.");
        Dataset = dataset;
        BatchSize = batchSize;
        Shuffle = shuffle;
        DropLast = dropLast;
        Transform = transform;
        _root = Rng.Seed(seed);
    }

    public TensorDataset Dataset { get; }

    public int BatchSize { get; }

    public bool Shuffle { get; }

    public bool DropLast { get; }

    public IBatchTransform? Transform { get; }

    /// <summary>Batches per epoch: ceil(N / batch size), or floor with <see cref="DropLast"/>.</summary>
    public int BatchesPerEpoch => DropLast ? Dataset.Count / BatchSize : (Dataset.Count + BatchSize - 1) / BatchSize;

    /// <summary>The order in which epoch <paramref name="epoch"/> visits the dataset's samples (before dropping).</summary>
    public int[] Order(int epoch)
    {
        if (epoch < 0)
            throw new ArgumentOutOfRangeException(nameof(epoch), $"DataLoader epochs count from 0 but got {epoch}.");
        if (Shuffle) return EpochKey(epoch).Fold(0).Permutation(Dataset.Count);
        var order = new int[Dataset.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        return order;
    }

    /// <summary>
    /// The batches of epoch <paramref name="epoch"/> (from 0): inputs X [B, ...] (transformed) and labels Y [B],
    /// produced lazily one at a time.
    /// </summary>
    public IEnumerable<(Tensor X, int[] Y)> Epoch(int epoch)
    {
        var order = Order(epoch);
        var transformKey = EpochKey(epoch).Fold(1);
        return Batches(order, transformKey);
    }

    private IEnumerable<(Tensor X, int[] Y)> Batches(int[] order, Rng transformKey)
    {
        for (int b = 0; b < BatchesPerEpoch; b++)
        {
            int start = b * BatchSize;
            var ids = order.AsMemory(start, Math.Min(BatchSize, order.Length - start));
            var (x, y) = Dataset.Gather(ids.Span);
            yield return (Transform is null ? x : Transform.Apply(x, ids.Span, transformKey), y);
        }
    }

    private Rng EpochKey(int epoch) => _root.Fold(epoch);
}
