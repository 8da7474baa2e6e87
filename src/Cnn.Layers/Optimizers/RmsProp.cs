using System.Numerics;
using System.Numerics.Tensors;
using Tensor = Cnn.Autodiff.Tensor;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// RMSprop (Hinton), as torch.optim.RMSprop. Per parameter, with d = g + weightDecay * p:
/// <code>
/// s   = alpha * s + (1 - alpha) * d * d
/// a   = alpha * a + (1 - alpha) * d                  (centered)
/// den = sqrt(centered ? s - a * a : s) + eps
/// buf = momentum * buf + d / den; p = p - lr * buf    (momentum > 0)
/// p   = p - lr * d / den                              (momentum = 0)
/// </code>
/// State: <c>square_avg</c> (s), then <c>momentum_buffer</c> (momentum > 0) and <c>grad_avg</c> (a, centered), all starting at zero.
/// </summary>
public sealed record RmsProp : IOptimizer
{
    private const string Name = "RmsProp";

    public RmsProp(double learningRate = 1e-2, double alpha = 0.99, double eps = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
    {
        LearningRate = Trees.AtLeast(Name, nameof(learningRate), learningRate, 0);
        Alpha = Trees.AtLeast(Name, nameof(alpha), alpha, 0);
        Eps = Trees.AtLeast(Name, nameof(eps), eps, 0);
        WeightDecay = Trees.AtLeast(Name, nameof(weightDecay), weightDecay, 0);
        Momentum = Trees.AtLeast(Name, nameof(momentum), momentum, 0);
        Centered = centered;
    }

    public double LearningRate { get; }
    public double Alpha { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    public double Momentum { get; }
    public bool Centered { get; }

    private string[] BufferNames => (Momentum > 0, Centered) switch
    {
        (false, false) => ["square_avg"],
        (true, false) => ["square_avg", "momentum_buffer"],
        (false, true) => ["square_avg", "grad_avg"],
        (true, true) => ["square_avg", "momentum_buffer", "grad_avg"],
    };

    public OptimizerState Init(ParamTree<Tensor> p) => Trees.Init(p, BufferNames);

    public (ParamTree<Tensor> Params, OptimizerState State) Step(ParamTree<Tensor> p, ParamTree<Tensor> grads, OptimizerState state, double? learningRate = null)
    {
        double lr = Trees.LearningRate(Name + ".Step", LearningRate, learningRate);
        return Trees.Step(Name + ".Step", p, grads, state, BufferNames, (x, g, b) => x.DType == DType.Float32
            ? Leaf<float>(x, g, b, lr)
            : Leaf<double>(x, g, b, lr));
    }

    private (Tensor P, Tensor[] Buffers) Leaf<T>(Tensor x, Tensor g, Tensor[] b, double lr) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = x.Span<T>();
        int n = p.Length;
        T[]? scratch = null;
        var d = Trees.DecayedGradient(g.Span<T>(), p, WeightDecay, ref scratch);
        var alpha = T.CreateTruncating(Alpha);
        var oneMinusAlpha = T.CreateTruncating(1 - Alpha);
        var negLr = T.CreateTruncating(-lr);

        var s = Buffers.Uninitialized<T>(n);
        TensorPrimitives.Multiply(d, d, s);
        TensorPrimitives.Multiply(s, oneMinusAlpha, s);
        TensorPrimitives.MultiplyAdd(b[0].Span<T>(), alpha, s, s);

        var y = Buffers.Uninitialized<T>(n);
        T[]? a = null;
        if (Centered)
        {
            a = Buffers.Uninitialized<T>(n);
            TensorPrimitives.Multiply(d, oneMinusAlpha, a);
            TensorPrimitives.MultiplyAdd(b[^1].Span<T>(), alpha, a, a);
            TensorPrimitives.Multiply(a, a, y);
            TensorPrimitives.Subtract(s, y, y);
            TensorPrimitives.Sqrt(y, y);
        }
        else
            TensorPrimitives.Sqrt(s, y);
        TensorPrimitives.Add(y, T.CreateTruncating(Eps), y);

        T[]? buf = null;
        if (Momentum > 0)
        {
            buf = Buffers.Uninitialized<T>(n);
            TensorPrimitives.Divide(d, y, buf);
            TensorPrimitives.MultiplyAdd(b[1].Span<T>(), T.CreateTruncating(Momentum), buf, buf);
            TensorPrimitives.MultiplyAdd(buf, negLr, p, y);
        }
        else
        {
            TensorPrimitives.Divide(d, y, y);
            TensorPrimitives.MultiplyAdd(y, negLr, p, y);
        }
        Trees.Return(scratch);

        var shape = x.Shape;
        var buffers = new List<Tensor>(3) { Tensor.Own(s, shape) };
        if (buf is not null) buffers.Add(Tensor.Own(buf, shape));
        if (a is not null) buffers.Add(Tensor.Own(a, shape));
        return (Tensor.Own(y, shape), buffers.ToArray());
    }
}
