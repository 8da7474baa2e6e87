using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// A two-convolution CNN for [N, 3, 32, 32] images (CIFAR-10): conv 3-&gt;32 3x3 pad 1, ReLU, 2x2 max pool,
/// conv 32-&gt;64 3x3 pad 1, ReLU, 2x2 max pool, flatten, linear 4096-&gt;512, ReLU, linear 512-&gt;10.
/// 2,122,186 parameters; children <c>features</c> and <c>classifier</c> as <see cref="FashionLeNet"/>.
/// </summary>
public sealed record CifarTwoConv(int NumClasses = 10) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("features", new Sequential(new Conv2d(3, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2), new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new MaxPool2d(2))),
        ("classifier", new Sequential(new Flatten(), new Linear(64 * 8 * 8, 512), new ReLU(), new Linear(512, NumClasses))),
    ];
}
