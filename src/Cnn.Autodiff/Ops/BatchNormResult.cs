namespace Cnn.Autodiff;

/// <summary>The output of <see cref="Op.BatchNorm"/> and the running statistics to use next.</summary>
/// <param name="Output">The normalised input, shaped as the input.</param>
/// <param name="RunningMean">[C]: updated in training, unchanged in evaluation, null when none were given.</param>
/// <param name="RunningVar">[C]: updated in training, unchanged in evaluation, null when none were given.</param>
public sealed record BatchNormResult(Var Output, Tensor? RunningMean, Tensor? RunningVar);
