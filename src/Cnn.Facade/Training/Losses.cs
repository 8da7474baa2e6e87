using Cnn.Autodiff;

namespace Cnn.Facade;

/// <summary>A classification loss: the mean loss of a batch of network outputs against their class labels.</summary>
/// <param name="output">The network's output for the batch, [N, C] logits.</param>
/// <param name="labels">N class indices.</param>
/// <returns>A scalar.</returns>
public delegate Var LossFunction(Var output, int[] labels);

/// <summary>The usual classification losses as <see cref="LossFunction"/>s.</summary>
public static class Losses
{
    /// <summary>Mean cross-entropy of logits against labels (<see cref="Op.CrossEntropy"/>), as torch.nn.CrossEntropyLoss().</summary>
    public static LossFunction CrossEntropy { get; } = (output, labels) => Op.CrossEntropy(output, labels);

    /// <summary>Cross-entropy with label smoothing eps (as torch.nn.CrossEntropyLoss(label_smoothing=eps)).</summary>
    public static LossFunction CrossEntropyWithSmoothing(double labelSmoothing) =>
        (output, labels) => Op.CrossEntropy(output, labels, labelSmoothing: labelSmoothing);
}
