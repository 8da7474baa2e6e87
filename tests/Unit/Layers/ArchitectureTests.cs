using System.Collections.Immutable;
using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Layers;

/// <summary>
/// Each architecture builds, runs on its input size with its declared output shape, learns in one plain SGD
/// step, and has PyTorch's parameter count for the same module (PyTorch 1.13, sum(p.numel() for p in m.parameters())).
/// </summary>
public class ArchitectureTests
{
    /// <summary>Loss before and after one step p - lr * g on a fixed batch, in training mode with the initial state.</summary>
    private static (double Before, double After) SgdStep(ILayer net, Tensor x, Func<Var, Var> loss, double lr)
    {
        var p = net.Init(Rng.Seed(1));
        var ctx = LayerContext.Train(Rng.Seed(2), net.InitState());
        Var L(ParamTree<Var> q) => loss(net.Forward(q, x, ctx).Output);
        var (before, g) = Diff.ValueAndGrad(L, p);
        var stepped = p.Zip(g, (w, gw) => ((Var)w - (Var)gw * lr).Value);
        return (before.ToScalar(), L(stepped.Map(t => new Var(t))).Value.ToScalar());
    }

    private static Tensor Images(int n, int c, int h, int w) => Tensor.RandomNormal(Rng.Seed(9), [n, c, h, w]);

    private static void Learns(ILayer net, Tensor x, int classes = 10, double lr = 0.05)
    {
        int[] labels = Enumerable.Range(0, x.Shape[0]).Select(i => (3 * i + 1) % classes).ToArray();
        var (before, after) = SgdStep(net, x, y => Op.CrossEntropy(y, labels), lr);
        Assert.True(after < before, $"{net.GetType().Name}: loss {before} after one SGD step became {after}");
    }

    private static void RunsWithDeclaredShape(ILayer net, Tensor x, int[] expected)
    {
        var y = net.Apply(net.Init(Rng.Seed(1)), x);
        Assert.Equal(Shape.Create(expected), net.OutputShape(x.Shape));
        Assert.Equal(Shape.Create(expected), y.Shape);
        Assert.All(y.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
    }

    // class LeNet5(nn.Module):
    //     features = nn.Sequential(nn.Conv2d(1,6,5,padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6,16,5), nn.Tanh(), nn.AvgPool2d(2))
    //     classifier = nn.Sequential(nn.Flatten(), nn.Linear(400,120), nn.Tanh(), nn.Linear(120,84), nn.Tanh(), nn.Linear(84,10))
    // -> 61706
    [Fact]
    public void LeNet5_BuildsRunsLearns_Has61706ParametersAsPyTorch()
    {
        var net = new LeNet5();
        Assert.Equal(61_706, net.ParameterCount());
        RunsWithDeclaredShape(net, Images(2, 1, 28, 28), [2, 10]);
        Learns(net, Images(3, 1, 28, 28));
        Assert.Equal(["features.0.weight", "features.0.bias", "features.3.weight", "features.3.bias", "classifier.1.weight"], net.Init(Rng.Seed(0)).Paths.Take(5));
    }

    // nn.Sequential(nn.Conv2d(1,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32,64,3,padding=1), nn.ReLU(),
    //               nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136,128), nn.ReLU(), nn.Linear(128,10)) -> 421642
    [Fact]
    public void FashionLeNet_BuildsRunsLearns_Has421642ParametersAsPyTorch()
    {
        var net = new FashionLeNet();
        Assert.Equal(421_642, net.ParameterCount());
        RunsWithDeclaredShape(net, Images(2, 1, 28, 28), [2, 10]);
        Learns(net, Images(3, 1, 28, 28));
    }

    // nn.Sequential(nn.Conv2d(3,32,3,padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32,64,3,padding=1), nn.ReLU(),
    //               nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4096,512), nn.ReLU(), nn.Linear(512,10)) -> 2122186
    [Fact]
    public void CifarTwoConv_BuildsRunsLearns_Has2122186ParametersAsPyTorch()
    {
        var net = new CifarTwoConv();
        Assert.Equal(2_122_186, net.ParameterCount());
        RunsWithDeclaredShape(net, Images(2, 3, 32, 32), [2, 10]);
        Learns(net, Images(2, 3, 32, 32), lr: 0.02);
    }

    // def cb(i, o): return nn.Sequential(nn.Conv2d(i,o,3,padding=1,bias=False), nn.BatchNorm2d(o), nn.ReLU())
    // nn.Sequential(cb(3,32), nn.MaxPool2d(2), cb(32,64), nn.MaxPool2d(2), cb(64,128), nn.MaxPool2d(2), cb(128,256),
    //               nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256,10)) -> 391466; with widths 4, 8, 16, 32 -> 6606
    [Fact]
    public void FourConvBlockNet_BuildsRunsLearns_Has391466ParametersAsPyTorch()
    {
        Assert.Equal(391_466, new FourConvBlockNet().ParameterCount());
        var net = new FourConvBlockNet(Width: 4);
        Assert.Equal(6_606, net.ParameterCount());
        RunsWithDeclaredShape(net, Images(2, 3, 32, 32), [2, 10]);
        Learns(net, Images(4, 3, 16, 16));
    }

    // def vgg(cfg, size=32):  # torchvision's make_layers(cfg, batch_norm=True), then nn.Flatten(), nn.Linear(c*s*s, 10)
    //     for v in cfg: 'M' -> nn.MaxPool2d(2); else nn.Conv2d(c,v,3,padding=1), nn.BatchNorm2d(v), nn.ReLU()
    // vgg([64,'M',128,'M',256,256,'M',512,512,'M',512,512,'M']) -> 9231114; vgg([8,'M',16,'M'], size=8) -> 2090
    [Fact]
    public void VggStyle_BuildsRunsLearns_HasPyTorchParameterCounts()
    {
        Assert.Equal(9_231_114, new VggStyle().ParameterCount());
        var net = new VggStyle([8, VggStyle.M, 16, VggStyle.M], InputSize: 8);
        Assert.Equal(2_090, net.ParameterCount());
        RunsWithDeclaredShape(net, Images(2, 3, 8, 8), [2, 10]);
        Learns(net, Images(4, 3, 8, 8));
        Assert.Contains("features.1.running_mean", net.InitState().Paths);
    }

    // kuangliu-style CIFAR ResNet-18: conv1 = nn.Conv2d(3,64,3,1,1,bias=False), bn1 = nn.BatchNorm2d(64), relu,
    // layer1..4 = two BasicBlocks each (64, 128 s2, 256 s2, 512 s2), where BasicBlock has conv1 (3x3, stride, no bias),
    // bn1, conv2 (3x3, no bias), bn2, shortcut = nn.Sequential(nn.Conv2d(i,o,1,stride,bias=False), nn.BatchNorm2d(o))
    // when stride != 1 or i != o; adaptive average pool; fc = nn.Linear(512,10). -> 11173962; with width 4 -> 44622
    [Fact]
    public void ResNet18Cifar_BuildsRunsLearns_Has11173962ParametersAsPyTorch()
    {
        var full = new ResNet18Cifar();
        var p = full.Init(Rng.Seed(0));
        Assert.Equal(11_173_962, p.ScalarCount());
        Assert.Contains("layer2.0.shortcut.0.weight", p.Paths);
        Assert.DoesNotContain("layer1.0.shortcut.0.weight", p.Paths);
        Assert.Contains("layer4.1.bn2.running_var", full.InitState().Paths);
        RunsWithDeclaredShape(full, Images(1, 3, 32, 32), [1, 10]);
        var small = new ResNet18Cifar(Width: 4);
        Assert.Equal(44_622, small.ParameterCount());
        Learns(small, Images(2, 3, 8, 8));
    }

    // class DW(nn.Module): conv1 = nn.Conv2d(i,i,3,stride,1,groups=i,bias=False); bn1 = nn.BatchNorm2d(i);
    //                      conv2 = nn.Conv2d(i,o,1,bias=False); bn2 = nn.BatchNorm2d(o)
    // conv1 = nn.Conv2d(3,32,3,1,1,bias=False); bn1 = nn.BatchNorm2d(32); layers = nn.Sequential(DW(32,64,1), DW(64,128,2),
    // DW(128,128,1), DW(128,256,2), DW(256,256,1), DW(256,512,2)); fc = nn.Linear(512,10) -> 274250;
    // with stem 4 and blocks DW(4,8,1), DW(8,16,2) -> 626
    [Fact]
    public void MobileNetStyle_BuildsRunsLearns_Has274250ParametersAsPyTorch()
    {
        var full = new MobileNetStyle();
        Assert.Equal(274_250, full.ParameterCount());
        RunsWithDeclaredShape(full, Images(2, 3, 32, 32), [2, 10]);
        var small = new MobileNetStyle([(8, 1), (16, 2)], Stem: 4);
        Assert.Equal(626, small.ParameterCount());
        Learns(small, Images(4, 3, 8, 8));
        Assert.Contains("layers.1.conv1.weight", small.Init(Rng.Seed(0)).Paths);
    }

    // def dc(i, o): return nn.Sequential(nn.Conv2d(i,o,3,padding=1,bias=False), nn.BatchNorm2d(o), nn.ReLU(),
    //                                    nn.Conv2d(o,o,3,padding=1,bias=False), nn.BatchNorm2d(o), nn.ReLU())
    // inc = dc(in, b); down{i} = nn.Sequential(nn.MaxPool2d(2), dc(b<<(i-1), b<<i)) for i = 1..depth;
    // up{i}: up = nn.ConvTranspose2d(c, c//2, 2, 2), conv = dc(c, c//2) with c = b<<(depth-i+1); outc = nn.Conv2d(b, out, 1)
    // (in=1, out=1, b=16, depth=2) -> 117073; (3, 2, 16, 3) -> 482754; (1, 1, 4, 2) -> 7477
    [Fact]
    public void UNetSmall_BuildsRunsLearns_HasPyTorchParameterCounts()
    {
        Assert.Equal(117_073, new UNetSmall().ParameterCount());
        var deep = new UNetSmall(3, 2, 16, 3);
        Assert.Equal(482_754, deep.ParameterCount());
        RunsWithDeclaredShape(deep, Images(1, 3, 16, 24), [1, 2, 16, 24]);
        var net = new UNetSmall(Base: 4);
        Assert.Equal(7_477, net.ParameterCount());
        var x = Images(2, 1, 8, 8);
        var target = Tensor.Generate([2, 1, 8, 8], DType.Float32, i => i % 3 == 0 ? 1 : 0);
        var (before, after) = SgdStep(net, x, y => Op.BinaryCrossEntropyWithLogits(y, target), 0.05);
        Assert.True(after < before, $"UNetSmall: loss {before} after one SGD step became {after}");
        Assert.Contains("up1.up.weight", net.Init(Rng.Seed(0)).Paths);
        Assert.Contains("up2.conv.bn2.running_mean", net.InitState().Paths);
    }

    [Fact]
    public void UNetSmall_SizeNotDivisible_NamesTheFix()
    {
        var ex = Assert.Throws<ArgumentException>(() => new UNetSmall(Depth: 3).OutputShape([1, 1, 20, 16]));
        Assert.Contains("multiples of 2^3 = 8", ex.Message);
    }
}
