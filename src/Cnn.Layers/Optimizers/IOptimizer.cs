using Cnn.Autodiff;

namespace Cnn.Layers;

/// <summary>
/// An optimizer as a pure function over parameter trees: <see cref="Init"/> makes the state for a tree and
/// <see cref="Step"/> returns the updated parameters and the next state, leaving its inputs untouched.
/// The algorithms are torch.optim's (1.13) with the same defaults and state buffer names.
/// </summary>
public interface IOptimizer
{
    /// <summary>The learning rate a step uses when none is passed.</summary>
    double LearningRate { get; }

    /// <summary>The state before the first step: step 0 and zero buffers shaped like <paramref name="p"/>.</summary>
    OptimizerState Init(ParamTree<Tensor> p);

    /// <summary>
    /// One update of <paramref name="p"/> with gradients <paramref name="grads"/> (same paths, shapes and
    /// element types). <paramref name="learningRate"/> overrides <see cref="LearningRate"/> for this step
    /// (a schedule supplies it).
    /// </summary>
    (ParamTree<Tensor> Params, OptimizerState State) Step(ParamTree<Tensor> p, ParamTree<Tensor> grads, OptimizerState state, double? learningRate = null);
}
