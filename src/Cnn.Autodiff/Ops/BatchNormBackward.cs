using System.Numerics;
using Cnn.Autodiff.Kernels;

namespace Cnn.Autodiff;

public static partial class Op
{
    /// <summary>
    /// The pullback of batch normalisation with inputs x, then weight and bias when present. Computing
    /// plain values, it runs one fused kernel with the statistics of the forward; when anything is
    /// recorded (gradients of gradients), it writes the same formula with differentiable ops instead.
    /// </summary>
    private static Pullback BatchNormPullback<T>(bool hasWeight, bool hasBias, Tensor? runningMean, Tensor? runningVar, bool training, double eps, int s, double[] mean, double[] invStd)
        where T : unmanaged, IFloatingPointIeee754<T> => (g, xs, _) =>
    {
        var x = xs[0];
        var weight = hasWeight ? xs[1] : null;
        bool recorded = g.IsRecorded;
        foreach (var v in xs) recorded |= v.IsRecorded;
        var (gx, gw, gb) = recorded
            ? BatchNormBackwardOps(g, x, weight, runningMean, runningVar, training, eps)
            : BatchNormBackwardFused<T>(g, x, weight, training, s, mean, invStd);
        return (hasWeight, hasBias) switch
        {
            (false, false) => [gx],
            (false, true) => [gx, gb],
            (true, false) => [gx, gw],
            _ => [gx, gw, gb],
        };
    };

    // The cotangents from one kernel, with x seen as [N, C, S] and the statistics of the forward.
    private static (Var Gx, Var Gw, Var Gb) BatchNormBackwardFused<T>(Var g, Var x, Var? weight, bool training, int s, double[] mean, double[] invStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = x.Shape[0], c = x.Shape[1];
        var gx = Buffers.Uninitialized<T>(x.Shape.Size);
        var gw = new T[c];
        var gb = new T[c];
        BatchNormKernels.Backward(x.Value.Array<T>(), g.Value.Array<T>(), weight?.Value.Array<T>(), n, c, s, mean, invStd, training, gx, gw, gb);
        return (Tensor.Own(gx, x.Shape), Tensor.Own(gw, [c]), Tensor.Own(gb, [c]));
    }

    // The same cotangents as differentiable ops, with the statistics recomputed from x:
    // xhat = (x - mean) * invstd, gxhat = g * weight, gweight = sum(g * xhat), gbias = sum(g), and
    // gx = invstd * (gxhat - mean(gxhat) - xhat * mean(gxhat * xhat)) in training, invstd * gxhat in evaluation.
    private static (Var Gx, Var Gw, Var Gb) BatchNormBackwardOps(Var g, Var x, Var? weight, Tensor? runningMean, Tensor? runningVar, bool training, double eps)
    {
        int c = x.Shape[1];
        var statDims = new int[x.Rank];
        Array.Fill(statDims, 1);
        statDims[1] = c;
        var axes = new int[x.Rank - 1];
        for (int i = 0, k = 0; i < x.Rank; i++) if (i != 1) axes[k++] = i;

        Var xc, invStd;
        if (training)
        {
            xc = x - Mean(x, axes, keepDims: true);
            invStd = Rsqrt(Mean(xc * xc, axes, keepDims: true) + eps);
        }
        else
        {
            xc = x - runningMean!.Reshape(statDims);
            invStd = Rsqrt((Var)runningVar!.Reshape(statDims) + eps);
        }
        var xhat = xc * invStd;
        var gxhat = weight is null ? g : g * Reshape(weight, statDims);
        var gx = training
            ? invStd * (gxhat - Mean(gxhat, axes, keepDims: true) - xhat * Mean(gxhat * xhat, axes, keepDims: true))
            : gxhat * invStd;
        return (gx, Sum(g * xhat, axes), Sum(g, axes));
    }
}
