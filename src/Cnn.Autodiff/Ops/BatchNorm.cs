using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// Batch normalisation per channel (axis 1), as torch.nn.functional.batch_norm:
    /// y = (x - mean) / sqrt(var + eps) * weight + bias.
    /// In training, mean and var are the batch statistics over every axis but 1 (var biased, dividing
    /// by the count m), and the returned running statistics are (1 - momentum) * old + momentum * batch,
    /// with the unbiased batch variance (var * m / (m - 1)) for the running variance. In evaluation, the
    /// given running statistics are used and returned unchanged. It is differentiable through the batch
    /// statistics, to any order: one fused kernel computes the forward, and its pullback is one fused
    /// kernel too, or the same formula written with differentiable ops when gradients of gradients are recorded.
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

        int n = x.Shape[0], s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.Shape[i];
        if (training)
        {
            int m = c == 0 ? 0 : x.Shape.Size / c;
            if (m < 2)
                throw new ArgumentException($"BatchNorm in training needs more than one value per channel but got input {x.Shape} ({m} per channel); use a batch of at least 2, or evaluation mode.");
        }
        else if (runningMean is null || runningVar is null)
            throw new ArgumentException("BatchNorm in evaluation mode normalises with the running statistics, but runningMean and runningVar are null; pass the statistics gathered in training, or call it with training: true.");
        return x.DType == DType.Float32
            ? BatchNormFused<float>(x, weight, bias, runningMean, runningVar, training, momentum, eps, n, c, s)
            : BatchNormFused<double>(x, weight, bias, runningMean, runningVar, training, momentum, eps, n, c, s);
    }

    // The forward in one kernel and one tape entry; x is seen as [N, C, S].
    private static BatchNormResult BatchNormFused<T>(Var x, Var? weight, Var? bias, Tensor? runningMean, Tensor? runningVar, bool training, double momentum, double eps, int n, int c, int s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = Buffers.Uninitialized<T>(x.Shape.Size);
        T[]? w = weight?.Value.Array<T>(), b = bias?.Value.Array<T>();
        var mean = new double[c];
        var invStd = new double[c];
        Tensor? newMean = runningMean, newVar = runningVar;
        if (training)
        {
            var variance = new double[c];
            BatchNormKernels.ForwardTraining(x.Value.Array<T>(), y, w, b, n, c, s, eps, mean, variance);
            for (int k = 0; k < c; k++) invStd[k] = BatchNormKernels.InvStd(variance[k], eps);
            if (runningMean is not null && runningVar is not null)
            {
                double m = (double)n * s;
                newMean = RunningUpdate<T>(runningMean, mean, momentum, 1);
                newVar = RunningUpdate<T>(runningVar, variance, momentum, m / (m - 1));
            }
        }
        else
        {
            for (int k = 0; k < c; k++)
            {
                mean[k] = runningMean!.At(k);
                invStd[k] = BatchNormKernels.InvStd(runningVar!.At(k), eps);
            }
            BatchNormKernels.Normalize(x.Value.Array<T>(), y, w, b, n, c, s, mean, invStd);
        }
        var pullback = BatchNormPullback<T>(weight is not null, bias is not null, runningMean, runningVar, training, eps, s, mean, invStd);
        var settings = FormattableString.Invariant($"training={training} eps={eps}");
        Var[] inputs = (weight, bias) switch
        {
            (null, null) => [x],
            (null, _) => [x, bias],
            (_, null) => [x, weight],
            _ => [x, weight, bias],
        };
        return new BatchNormResult(Record("batch_norm", Tensor.Own(y, x.Shape), pullback, settings, inputs), newMean, newVar);
    }

    // (1 - momentum) * old + momentum * factor * batch, per channel.
    private static Tensor RunningUpdate<T>(Tensor old, double[] batch, double momentum, double factor) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = new T[batch.Length];
        for (int k = 0; k < r.Length; k++) r[k] = T.CreateTruncating((1 - momentum) * old.At(k) + momentum * factor * batch[k]);
        return Tensor.Own(r, old.Shape);
    }

    private static void CheckBatchNormChannels(string name, Tensor? t, Var x, int c)
    {
        if (t is null) return;
        if (t.Shape != Shape.Create([c]))
            throw new ArgumentException($"BatchNorm expects {name} [{c}] for input {x.Shape} (C = {c} channels on axis 1) but got {t.Shape}; the layer was built for a different channel count, or the input is not channel-first.");
        Tensor.RequireSameDType("BatchNorm", x.Value, t);
    }
}
