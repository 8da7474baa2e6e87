namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Negative log-likelihood, as torch.nn.functional.nll_loss: loss[n] = -logProbs[n, labels[n]],
    /// then reduced (the mean divides by N).
    /// </summary>
    /// <param name="logProbs">[N, C] log-probabilities, e.g. from <see cref="LogSoftmax"/>.</param>
    /// <param name="labels">N class indices, each in [0, C).</param>
    /// <returns>A scalar, or [N] with <see cref="Reduction.None"/>.</returns>
    public static Var Nll(Var logProbs, int[] labels, Reduction reduction = Reduction.Mean) =>
        ApplyReduction("Nll", Negate(PickChecked(logProbs, CheckPickIndices("Nll", logProbs.Shape, labels))), reduction);

    /// <summary>
    /// Cross-entropy of logits against class labels, as torch.nn.functional.cross_entropy:
    /// loss[n] = (1 - eps) * (-lsm[n, labels[n]]) + eps * mean_c(-lsm[n, c]) with lsm = log_softmax(logits)
    /// over the classes and eps = <paramref name="labelSmoothing"/>, then reduced (the mean divides by N).
    /// </summary>
    /// <param name="logits">[N, C] unnormalised scores.</param>
    /// <param name="labels">N class indices, each in [0, C).</param>
    /// <param name="labelSmoothing">eps in [0, 1]: the weight moved from the label to a uniform distribution over the classes.</param>
    /// <returns>A scalar, or [N] with <see cref="Reduction.None"/>.</returns>
    public static Var CrossEntropy(Var logits, int[] labels, Reduction reduction = Reduction.Mean, double labelSmoothing = 0)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
            throw new ArgumentException($"CrossEntropy expects labelSmoothing in [0, 1] but got {labelSmoothing}; 0 turns smoothing off, 0.1 is a common choice.");
        var idx = CheckPickIndices("CrossEntropy", logits.Shape, labels);
        var lsm = LogSoftmax(logits, 1);
        var nll = Negate(PickChecked(lsm, idx));
        var loss = labelSmoothing == 0 ? nll : nll * (1 - labelSmoothing) - Mean(lsm, [1]) * labelSmoothing;
        return ApplyReduction("CrossEntropy", loss, reduction);
    }

    /// <summary>
    /// Binary cross-entropy of logits x against targets t, as
    /// torch.nn.functional.binary_cross_entropy_with_logits: loss = -(t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))),
    /// computed stably as max(x, 0) - x t + log(1 + exp(-|x|)), then reduced. Differentiable in both inputs.
    /// </summary>
    /// <param name="logits">Any shape.</param>
    /// <param name="targets">The shape of <paramref name="logits"/>; values usually in [0, 1].</param>
    /// <returns>A scalar, or the shape of the inputs with <see cref="Reduction.None"/>.</returns>
    public static Var BinaryCrossEntropyWithLogits(Var logits, Var targets, Reduction reduction = Reduction.Mean)
    {
        CheckLossPair("BinaryCrossEntropyWithLogits", "logits", logits, "targets", targets);
        return ApplyReduction("BinaryCrossEntropyWithLogits", Softplus(logits) - logits * targets, reduction);
    }

    /// <summary>Mean squared error, as torch.nn.functional.mse_loss: loss = (prediction - target)^2, then reduced.</summary>
    /// <param name="prediction">Any shape.</param>
    /// <param name="target">The shape of <paramref name="prediction"/>.</param>
    /// <returns>A scalar, or the shape of the inputs with <see cref="Reduction.None"/>.</returns>
    /// <remarks>NOTE: shapes must match exactly; PyTorch broadcasts with a warning, which hides a common bug ([N] against [N, 1]).</remarks>
    public static Var MseLoss(Var prediction, Var target, Reduction reduction = Reduction.Mean)
    {
        CheckLossPair("MseLoss", "prediction", prediction, "target", target);
        var d = prediction - target;
        return ApplyReduction("MseLoss", d * d, reduction);
    }

    private static void CheckLossPair(string op, string aName, Var a, string bName, Var b)
    {
        if (a.Shape != b.Shape)
            throw new ArgumentException($"{op} expects {aName} and {bName} of the same shape but got {a.Shape} and {b.Shape}; reshape one of them (e.g. Op.Reshape(x, -1)) so they match.");
        Tensor.RequireSameDType(op, a.Value, b.Value);
    }

    // NOTE: the mean over an empty batch is an error, where PyTorch returns NaN: a NaN loss surfaces steps later,
    // far from its cause. The sum over an empty batch is 0, as in PyTorch.
    private static Var ApplyReduction(string op, Var loss, Reduction reduction) => reduction switch
    {
        Reduction.Mean when loss.Value.Size == 0 => throw new ArgumentException(
            $"{op} got an empty batch (per-element loss {loss.Shape}), whose mean is undefined (PyTorch returns NaN); skip empty batches, or use Reduction.Sum, which gives 0."),
        Reduction.Mean => Mean(loss),
        Reduction.Sum => Sum(loss),
        Reduction.None => loss,
        _ => throw new ArgumentException($"{op} got reduction {(int)reduction}, which is not a Reduction; use Reduction.Mean, Reduction.Sum or Reduction.None."),
    };
}
