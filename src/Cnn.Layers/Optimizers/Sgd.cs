using System.Numerics;
using System.Numerics.Tensors;
using Tensor = Cnn.Autodiff.Tensor;
using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Stochastic gradient descent with optional momentum, as torch.optim.SGD. Per parameter, with
/// d = g + weightDecay * p:
/// <code>
/// buf = d                                   (first step)
/// buf = momentum * buf + (1 - dampening) * d (later steps)
/// d   = nesterov ? d + momentum * buf : buf  (when momentum != 0)
/// p   = p - lr * d
/// </code>
/// State: <c>momentum_buffer</c> when momentum != 0, otherwise none.
/// </summary>
public sealed record Sgd : IOptimizer
{
    private const string Name = "Sgd";

    public Sgd(double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
    {
        LearningRate = Trees.AtLeast(Name, nameof(learningRate), learningRate, 0);
        Momentum = Trees.AtLeast(Name, nameof(momentum), momentum, 0);
        Dampening = Trees.AtLeast(Name, nameof(dampening), dampening, 0);
        WeightDecay = Trees.AtLeast(Name, nameof(weightDecay), weightDecay, 0);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Sgd with nesterov needs momentum > 0 and dampening = 0 but got momentum {momentum} and dampening {dampening}: set a momentum such as 0.9 and leave dampening at 0.", nameof(nesterov));
        Nesterov = nesterov;
    }

    public double LearningRate { get; }
    public double Momentum { get; }
    public double Dampening { get; }
    public bool Nesterov { get; }
    public double WeightDecay { get; }

    private string[] BufferNames => Momentum != 0 ? ["momentum_buffer"] : [];

    /// <inheritdoc/>
    /// <remarks>The momentum buffer starts at zero and is replaced by d on the first step, as PyTorch creates it then.</remarks>
    public OptimizerState Init(ParamTree<Tensor> p) => Trees.Init(p, BufferNames);

    public (ParamTree<Tensor> Params, OptimizerState State) Step(ParamTree<Tensor> p, ParamTree<Tensor> grads, OptimizerState state, double? learningRate = null)
    {
        double lr = Trees.LearningRate(Name + ".Step", LearningRate, learningRate);
        bool first = state.Step == 0;
        return Trees.Step(Name + ".Step", p, grads, state, BufferNames, (x, g, b) => x.DType == DType.Float32
            ? Leaf<float>(x, g, b, lr, first)
            : Leaf<double>(x, g, b, lr, first));
    }

    private (Tensor P, Tensor[] Buffers) Leaf<T>(Tensor x, Tensor g, Tensor[] b, double lr, bool first)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = x.Span<T>();
        T[]? scratch = null;
        var d = Trees.DecayedGradient(g.Span<T>(), p, WeightDecay, ref scratch);
        var y = Buffers.Uninitialized<T>(p.Length);
        var negLr = T.CreateTruncating(-lr);
        Tensor[] buffers = [];
        if (Momentum == 0)
        {
            TensorPrimitives.MultiplyAdd(d, negLr, p, y);
        }
        else
        {
            var mu = T.CreateTruncating(Momentum);
            var buf = Buffers.Uninitialized<T>(p.Length);
            if (first)
                d.CopyTo(buf);
            else
            {
                TensorPrimitives.Multiply(d, T.CreateTruncating(1 - Dampening), buf);
                TensorPrimitives.MultiplyAdd(b[0].Span<T>(), mu, buf, buf);
            }
            if (Nesterov)
            {
                TensorPrimitives.MultiplyAdd(buf, mu, d, y);
                TensorPrimitives.MultiplyAdd(y, negLr, p, y);
            }
            else
                TensorPrimitives.MultiplyAdd(buf, negLr, p, y);
            buffers = [Tensor.Own(buf, x.Shape)];
        }
        Trees.Return(scratch);
        return (Tensor.Own(y, x.Shape), buffers);
    }
}
