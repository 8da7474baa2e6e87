using System.Numerics;
using System.Numerics.Tensors;
using Tensor = Cnn.Autodiff.Tensor;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Adam (Kingma and Ba) with L2 weight decay added to the gradient and optional AMSGrad, as torch.optim.Adam.
/// At step t, with d = g + weightDecay * p:
/// <code>
/// m = beta1 * m + (1 - beta1) * d
/// v = beta2 * v + (1 - beta2) * d * d
/// vmax = max(vmax, v)                                       (amsgrad; the denominator uses vmax)
/// p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
/// </code>
/// State: <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v) and with amsgrad <c>max_exp_avg_sq</c> (vmax).
/// </summary>
public sealed record Adam : IOptimizer
{
    private const string Name = "Adam";

    public Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0, bool amsgrad = false)
    {
        (LearningRate, Beta1, Beta2, Eps, WeightDecay) = Checked(Name, learningRate, beta1, beta2, eps, weightDecay);
        Amsgrad = amsgrad;
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    public bool Amsgrad { get; }

    public OptimizerState Init(ParamTree<Tensor> p) => Trees.Init(p, BufferNames(Amsgrad));

    public (ParamTree<Tensor> Params, OptimizerState State) Step(ParamTree<Tensor> p, ParamTree<Tensor> grads, OptimizerState state, double? learningRate = null)
    {
        double lr = Trees.LearningRate(Name + ".Step", LearningRate, learningRate);
        var s = new Settings(state.Step + 1, lr, Beta1, Beta2, Eps, L2: WeightDecay, Decay: 0, Amsgrad);
        return Trees.Step(Name + ".Step", p, grads, state, BufferNames(Amsgrad), s.Leaf);
    }

    /// <summary>The hyperparameters of Adam and <see cref="AdamW"/>, checked: rates and eps at least 0, betas in [0, 1).</summary>
    internal static (double LearningRate, double Beta1, double Beta2, double Eps, double WeightDecay) Checked(
        string name, double learningRate, double beta1, double beta2, double eps, double weightDecay) =>
        (Trees.AtLeast(name, nameof(learningRate), learningRate, 0),
         Trees.InUnitInterval(name, nameof(beta1), beta1),
         Trees.InUnitInterval(name, nameof(beta2), beta2),
         Trees.AtLeast(name, nameof(eps), eps, 0),
         Trees.AtLeast(name, nameof(weightDecay), weightDecay, 0));

    internal static string[] BufferNames(bool amsgrad) => amsgrad ? ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"] : ["exp_avg", "exp_avg_sq"];

    /// <summary>
    /// One Adam step's numbers, shared with <see cref="AdamW"/>: the step number t (from 1), the L2 coefficient added to the
    /// gradient, and the decoupled decay lr * weightDecay that scales p by (1 - Decay) first.
    /// </summary>
    internal readonly record struct Settings(int Step, double Lr, double Beta1, double Beta2, double Eps, double L2, double Decay, bool Amsgrad)
    {
        public (Tensor P, Tensor[] Buffers) Leaf(Tensor x, Tensor g, Tensor[] b) =>
            x.DType == DType.Float32 ? Leaf<float>(x, g, b) : Leaf<double>(x, g, b);

        private (Tensor P, Tensor[] Buffers) Leaf<TE>(Tensor x, Tensor g, Tensor[] b) where TE : unmanaged, IFloatingPointIeee754<TE>
        {
            var p = x.Span<TE>();
            int n = p.Length;
            TE[]? scratch = null;
            var d = Trees.DecayedGradient(g.Span<TE>(), p, L2, ref scratch);
            var m = Buffers.Uninitialized<TE>(n);
            var v = Buffers.Uninitialized<TE>(n);
            TensorPrimitives.Multiply(d, TE.CreateTruncating(1 - Beta1), m);
            TensorPrimitives.MultiplyAdd(b[0].Span<TE>(), TE.CreateTruncating(Beta1), m, m);
            TensorPrimitives.Multiply(d, d, v);
            TensorPrimitives.Multiply(v, TE.CreateTruncating(1 - Beta2), v);
            TensorPrimitives.MultiplyAdd(b[1].Span<TE>(), TE.CreateTruncating(Beta2), v, v);
            Trees.Return(scratch);

            ReadOnlySpan<TE> second = v;
            TE[]? vmax = null;
            if (Amsgrad)
            {
                vmax = Buffers.Uninitialized<TE>(n);
                TensorPrimitives.Max(b[2].Span<TE>(), v, vmax);
                second = vmax;
            }
            double stepSize = Lr / (1 - Math.Pow(Beta1, Step));
            double bias2Sqrt = Math.Sqrt(1 - Math.Pow(Beta2, Step));
            var y = Buffers.Uninitialized<TE>(n);
            TensorPrimitives.Sqrt(second, y);
            TensorPrimitives.Divide(y, TE.CreateTruncating(bias2Sqrt), y);
            TensorPrimitives.Add(y, TE.CreateTruncating(Eps), y);
            TensorPrimitives.Divide(m, y, y);
            TensorPrimitives.Multiply(y, TE.CreateTruncating(-stepSize), y);
            if (Decay == 0)
                TensorPrimitives.Add(y, p, y);
            else
                TensorPrimitives.MultiplyAdd(p, TE.CreateTruncating(1 - Decay), y, y);

            var shape = x.Shape;
            return (Tensor.Own(y, shape), vmax is null
                ? [Tensor.Own(m, shape), Tensor.Own(v, shape)]
                : [Tensor.Own(m, shape), Tensor.Own(v, shape), Tensor.Own(vmax, shape)]);
        }
    }
}
