using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Layers;

public class SequentialTests
{
    private static Sequential Net() => new(
        new Conv2d(1, 4, 3, Padding: 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 3 * 3, 5));

    [Fact]
    public void Init_NamesChildrenLikePyTorch()
    {
        Assert.Equal(["0.weight", "0.bias", "4.weight", "4.bias"], Net().Init(Rng.Seed(1)).Paths);
    }

    [Fact]
    public void Forward_OutputShape_EqualsDeclaredShape()
    {
        var net = Net();
        var x = Tensor.RandomNormal(Rng.Seed(2), [2, 1, 6, 6]);
        var y = net.Apply(net.Init(Rng.Seed(1)), x);
        Assert.Equal(net.OutputShape(x.Shape), y.Shape);
        Assert.Equal(Shape.Create([2, 5]), y.Shape);
    }

    [Fact]
    public void ParameterCount_IsCoutTimesCinK2PlusOne_PlusLinear() =>
        Assert.Equal(4 * (1 * 3 * 3 + 1) + 5 * (36 + 1), Net().ParameterCount());

    [Fact]
    public void Conv2d_WrongInputChannels_NamesLayerAndFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => Net().OutputShape([64, 3, 6, 6]));
        Assert.Contains("Conv2d expects input [N, 1, H, W] but got [64, 3, 6, 6]", ex.Message);
    }

    [Fact]
    public void Gradients_ComeBackAsTreeOfSamePaths()
    {
        var net = Net();
        var p = net.Init(Rng.Seed(1));
        var x = Tensor.RandomNormal(Rng.Seed(2), [2, 1, 6, 6]);
        var (loss, g) = Diff.ValueAndGrad(q => Op.CrossEntropy(net.Apply(q, x), [1, 3]), p);
        Assert.True(double.IsFinite(loss.ToScalar()));
        Assert.Equal(p.Paths, g.Paths);
        Assert.All(p.Paths, path => Assert.Equal(p[path].Shape, g[path].Shape));
    }

    [Fact]
    public void Default_Init_MatchesPyTorchBound()
    {
        var w = new Linear(100, 10).Init(Rng.Seed(3))["weight"].ToDoubleArray();
        Assert.All(w, v => Assert.InRange(v, -0.1, 0.1));
        Assert.True(w.Max() > 0.09 && w.Min() < -0.09);
    }
}
