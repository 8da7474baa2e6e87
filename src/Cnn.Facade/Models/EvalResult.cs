using Cnn.Autodiff;

namespace Cnn.Facade;

/// <summary>
/// How a model did on a labelled dataset: mean loss, accuracy (top-1), top-k accuracy and the confusion
/// matrix of labels against predicted classes.
/// </summary>
/// <param name="Loss">The loss averaged over samples (each batch's mean loss weighted by its size).</param>
/// <param name="Accuracy">The fraction of samples whose largest output is at their label.</param>
/// <param name="TopKAccuracy">The fraction of samples whose label is among their <paramref name="K"/> largest outputs.</param>
/// <param name="K">k of <paramref name="TopKAccuracy"/> (at most the number of classes).</param>
/// <param name="Count">The number of samples.</param>
public sealed record EvalResult(double Loss, double Accuracy, double TopKAccuracy, int K, ConfusionMatrix Confusion, int Count)
{
    public override string ToString() =>
        $"loss {Loss:F4}, accuracy {Accuracy:P2}, top-{K} {TopKAccuracy:P2} on {Count:N0} samples";
}

/// <summary>Sums of loss, hits and top-k hits over batches, and the confusion counts.</summary>
internal sealed class EvalAccumulator(int topK)
{
    private double _lossSum;
    private long _count, _hits, _topHits;
    private int _classes;
    private readonly List<int> _truth = [], _predicted = [];

    public void Add(double meanLoss, Tensor output, int[] labels)
    {
        if (output.Rank != 2 || output.Shape[0] != labels.Length)
            throw new ArgumentException($"Model.Evaluate expects outputs [N, classes] with N = {labels.Length} (one row per label) but the model gave {output.Shape}: evaluation needs a classifier.");
        int n = labels.Length, c = output.Shape[1];
        _classes = Math.Max(_classes, c);
        var (hits, topHits, predicted) = Score(output, labels, Math.Min(topK, c));
        _lossSum += meanLoss * n;
        _count += n;
        _hits += hits;
        _topHits += topHits;
        _truth.AddRange(labels);
        _predicted.AddRange(predicted);
    }

    public EvalResult Result()
    {
        if (_count == 0)
            throw new ArgumentException("Model.Evaluate got no samples: the dataset is empty.");
        return new EvalResult(_lossSum / _count, (double)_hits / _count, (double)_topHits / _count, Math.Min(topK, _classes),
            ConfusionMatrix.From(_truth.ToArray(), _predicted.ToArray(), _classes), (int)_count);
    }

    /// <summary>
    /// Top-1 hits, top-k hits and the predicted classes of one batch of outputs [N, C]. A label is in the top k
    /// when fewer than k outputs are strictly larger than the label's output.
    /// </summary>
    /// <remarks>NOTE: ties at the k-th place count in the sample's favour (torch.topk would pick one of the tied classes).</remarks>
    internal static (int Hits, int TopHits, int[] Predicted) Score(Tensor output, int[] labels, int k)
    {
        var predicted = Op.ArgMax(output, 1);
        var values = output.ToDoubleArray();
        int n = labels.Length, c = output.Shape[1], hits = 0, topHits = 0;
        for (int i = 0; i < n; i++)
        {
            if ((uint)labels[i] >= (uint)c)
                throw new ArgumentException($"Model.Evaluate got label {labels[i]} for sample {i} but the model has {c} outputs (classes 0..{c - 1}).");
            if (predicted[i] == labels[i]) hits++;
            double target = values[i * c + labels[i]];
            int above = 0;
            for (int j = 0; j < c; j++)
                if (values[i * c + j] > target) above++;
            if (above < k) topHits++;
        }
        return (hits, topHits, predicted);
    }
}
