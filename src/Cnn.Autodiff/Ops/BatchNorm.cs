namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Batch normalisation per channel (axis 1), as torch.nn.functional.batch_norm:
    /// y = (x - mean) / sqrt(var + eps) * weight + bias.
    /// In training, mean and var are the batch statistics over every axis but 1 (var biased, dividing
    /// by the count m), and the returned running statistics are (1 - momentum) * old + momentum * batch,
    /// with the unbiased batch variance (var * m / (m - 1)) for the running variance. In evaluation, the
    /// given running statistics are used and returned unchanged. The op is a composition of
    /// differentiable ops, so it is differentiable through the batch statistics, to any order.
    /// </summary>
    /// <param name="x">[N, C], [N, C, L] or [N, C, H, W] (any rank at least 2).</param>
    /// <param name="weight">[C], or null for 1.</param>
    /// <param name="bias">[C], or null for 0.</param>
    /// <param name="runningMean">[C], or null (with <paramref name="runningVar"/>) to keep no running statistics in training.</param>
    /// <param name="runningVar">[C], or null together with <paramref name="runningMean"/>.</param>
    /// <param name="momentum">The weight of the batch statistics in the running update, in [0, 1].</param>
    /// <param name="eps">Added to the variance before the square root, at least 0.</param>
    public static BatchNormResult BatchNorm(Var x, Var? weight, Var? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum = 0.1, double eps = 1e-5)
    {
        if (x.Rank < 2)
            throw new ArgumentException($"BatchNorm expects input [N, C] or [N, C, H, W] but got {x.Shape}; add a batch dimension (Op.Reshape(x, 1, -1)).");
        int c = x.Shape[1];
        CheckBatchNormChannels("weight", weight?.Value, x, c);
        CheckBatchNormChannels("bias", bias?.Value, x, c);
        CheckBatchNormChannels("runningMean", runningMean, x, c);
        CheckBatchNormChannels("runningVar", runningVar, x, c);
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException($"BatchNorm got {(runningMean is null ? "runningVar but no runningMean" : "runningMean but no runningVar")}; pass both running statistics or neither.");
        if (!(momentum >= 0 && momentum <= 1))
            throw new ArgumentException($"BatchNorm expects momentum in [0, 1] but got {momentum}; 0.1 is PyTorch's default.");
        if (!(eps >= 0 && double.IsFinite(eps)))
            throw new ArgumentException($"BatchNorm expects eps >= 0 but got {eps}; 1e-5 is PyTorch's default.");

        var statDims = new int[x.Rank];
        Array.Fill(statDims, 1);
        statDims[1] = c;
        var axes = new int[x.Rank - 1];
        for (int i = 0, k = 0; i < x.Rank; i++) if (i != 1) axes[k++] = i;

        Var y;
        Tensor? newMean = runningMean, newVar = runningVar;
        if (training)
        {
            int m = c == 0 ? 0 : x.Shape.Size / c;
            if (m < 2)
                throw new ArgumentException($"BatchNorm in training needs more than one value per channel but got input {x.Shape} ({m} per channel); use a batch of at least 2, or evaluation mode.");
            var mean = Mean(x, axes, keepDims: true);
            var xc = x - mean;
            var variance = Mean(xc * xc, axes, keepDims: true);
            y = xc * Rsqrt(variance + eps);
            if (runningMean is not null && runningVar is not null)
            {
                newMean = ((Var)runningMean * (1 - momentum) + (Var)mean.Value.Reshape([c]) * momentum).Value;
                newVar = ((Var)runningVar * (1 - momentum) + (Var)variance.Value.Reshape([c]) * (momentum * m / (m - 1.0))).Value;
            }
        }
        else
        {
            if (runningMean is null || runningVar is null)
                throw new ArgumentException("BatchNorm in evaluation mode normalises with the running statistics, but runningMean and runningVar are null; pass the statistics gathered in training, or call it with training: true.");
            y = (x - runningMean.Reshape(statDims)) * Rsqrt((Var)runningVar.Reshape(statDims) + eps);
        }
        if (weight is not null) y = y * Reshape(weight, statDims);
        if (bias is not null) y = y + Reshape(bias, statDims);
        return new BatchNormResult(y, newMean, newVar);
    }

    private static void CheckBatchNormChannels(string name, Tensor? t, Var x, int c)
    {
        if (t is null) return;
        if (t.Shape != Shape.Create([c]))
            throw new ArgumentException($"BatchNorm expects {name} [{c}] for input {x.Shape} (C = {c} channels on axis 1) but got {t.Shape}; the layer was built for a different channel count, or the input is not channel-first.");
        Tensor.RequireSameDType("BatchNorm", x.Value, t);
    }
}
