using System.Collections.Immutable;

namespace Cnn.Layers;

/// <summary>
/// A small CNN for [N, 1, 28, 28] images (Fashion-MNIST): conv 1-&gt;32 3x3 pad 1, ReLU, 2x2 max pool,
/// conv 32-&gt;64 3x3 pad 1, ReLU, 2x2 max pool, flatten, linear 3136-&gt;128, ReLU, linear 128-&gt;10.
/// 421,642 parameters. Named as PyTorch names a module with <c>self.features = nn.Sequential(...)</c> and
/// <c>self.classifier = nn.Sequential(nn.Flatten(), ...)</c>: <c>features.0.weight</c>, <c>features.3.weight</c>,
/// <c>classifier.1.weight</c>, <c>classifier.3.weight</c>; so <c>Freeze.Split(p, "features")</c> freezes the convolutions.
/// </summary>
public sealed record FashionLeNet(int NumClasses = 10) : Composite
{
    public override ImmutableArray<(string Name, ILayer Layer)> Children =>
    [
        ("features", new Sequential(new Conv2d(1, 32, 3, Padding: 1), new ReLU(), new MaxPool2d(2), new Conv2d(32, 64, 3, Padding: 1), new ReLU(), new MaxPool2d(2))),
        ("classifier", new Sequential(new Flatten(), new Linear(64 * 7 * 7, 128), new ReLU(), new Linear(128, NumClasses))),
    ];
}
