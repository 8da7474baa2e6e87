using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// LeNet-5 in its classic form (LeCun et al. 1998) for [N, 1, 28, 28] input, padded by 2 to act as the
/// original 32x32: conv 1-&gt;6 5x5 pad 2, tanh, 2x2 average pooling, conv 6-&gt;16 5x5, tanh, 2x2 average
/// pooling, then fully connected 400-&gt;120-&gt;84-&gt;10 with tanh between. Output [N, 10] logits.
/// 61,706 parameters. Children <c>features</c> (indices 0, 3 carry weights) and <c>classifier</c>
/// (a flatten at index 0, linears at 1, 3, 5).
/// </summary>
/// <remarks>NOTE: the original's trainable subsampling coefficients and partial C3 connection table are not reproduced: pooling is a plain average and C3 sees all 6 maps, as in most modern re-implementations.</remarks>
public sealed record LeNet5(int NumClasses = 10) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("features", new Sequential(new Conv2d(1, 6, 5, Padding: 2), new Tanh(), new AvgPool2d(2), new Conv2d(6, 16, 5), new Tanh(), new AvgPool2d(2))),
        ("classifier", new Sequential(new Flatten(), new Linear(16 * 5 * 5, 120), new Tanh(), new Linear(120, 84), new Tanh(), new Linear(84, NumClasses))),
    ];
}
