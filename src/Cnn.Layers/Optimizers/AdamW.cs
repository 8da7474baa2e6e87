using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov and Hutter), as torch.optim.AdamW: each step first scales
/// p by (1 - lr * weightDecay), then applies the <see cref="Adam"/> update with the raw gradient (no L2 term).
/// State: <c>exp_avg</c>, <c>exp_avg_sq</c> and with amsgrad <c>max_exp_avg_sq</c>.
/// </summary>
public sealed record AdamW : IOptimizer
{
    private const string Name = "AdamW";

    public AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 1e-2, bool amsgrad = false)
    {
        (LearningRate, Beta1, Beta2, Eps, WeightDecay) = Adam.Checked(Name, learningRate, beta1, beta2, eps, weightDecay);
        Amsgrad = amsgrad;
    }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double WeightDecay { get; }
    public bool Amsgrad { get; }

    public OptimizerState Init(ParamTree<Tensor> p) => Trees.Init(p, Adam.BufferNames(Amsgrad));

    public (ParamTree<Tensor> Params, OptimizerState State) Step(ParamTree<Tensor> p, ParamTree<Tensor> grads, OptimizerState state, double? learningRate = null)
    {
        double lr = Trees.LearningRate(Name + ".Step", LearningRate, learningRate);
        var s = new Adam.Settings(state.Step + 1, lr, Beta1, Beta2, Eps, L2: 0, Decay: lr * WeightDecay, Amsgrad);
        return Trees.Step(Name + ".Step", p, grads, state, Adam.BufferNames(Amsgrad), s.Leaf);
    }
}
