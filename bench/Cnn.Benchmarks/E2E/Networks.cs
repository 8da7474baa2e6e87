using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Benchmarks.E2E;

/// <summary>
/// The benchmark networks, built from ops directly (as tools/bench/torch_bench.py builds them from
/// torch.nn.functional), with a training step: forward, cross-entropy, backward, p = p - lr g.
/// </summary>
internal sealed class Networks
{
    private const double LearningRate = 0.01;

    private readonly Func<IReadOnlyList<Var>, Var> _loss;
    private Tensor[] _params;

    private Networks(Tensor[] parameters, Func<Networks, IReadOnlyList<Var>, Var> loss)
    {
        _params = parameters;
        _loss = ps => loss(this, ps);
    }

    private Tensor _x = Tensor.Zeros([1]);
    private int[] _labels = [];
    private (Tensor Mean, Tensor Var)[] _running = [];

    /// <summary>Forward multiply-adds per sample of the convolutions and linear layers.</summary>
    public static double ForwardMacsPerSample(string net) => net switch
    {
        // conv 3->32 @32x32, conv 32->64 @16x16, linear 4096->512, linear 512->10
        "cifar" => 32.0 * 27 * 1024 + 64.0 * 288 * 256 + 4096.0 * 512 + 512.0 * 10,
        // conv 3->32 @32x32, four conv 32->32 @32x32, conv 32->64 @16x16, linear 64->10
        "resnet" => 32.0 * 27 * 1024 + 4 * 32.0 * 288 * 1024 + 64.0 * 288 * 256 + 64.0 * 10,
        _ => throw new ArgumentException($"Unknown network '{net}': expected cifar or resnet."),
    };

    /// <summary>The network named <paramref name="net"/> with a fixed random batch of <paramref name="batch"/> CIFAR-sized images.</summary>
    public static Networks Create(string net, int batch)
    {
        var rng = Rng.Seed(7);
        var keys = rng.Split(20);
        Tensor U(int i, double fanIn, params int[] shape) =>
            Tensor.RandomUniform(keys[i], shape, -1 / Math.Sqrt(fanIn), 1 / Math.Sqrt(fanIn));
        Networks n = net switch
        {
            "cifar" => new Networks(
                [U(0, 27, 32, 3, 3, 3), U(1, 27, 32), U(2, 288, 64, 32, 3, 3), U(3, 288, 64),
                 U(4, 4096, 512, 4096), U(5, 4096, 512), U(6, 512, 10, 512), U(7, 512, 10)],
                (self, ps) => self.CifarLoss(ps)),
            "resnet" => new Networks(ResNetParams(U), (self, ps) => self.ResNetLoss(ps)),
            _ => throw new ArgumentException($"Unknown network '{net}': expected cifar or resnet."),
        };
        n._x = Tensor.RandomNormal(keys[19], [batch, 3, 32, 32]);
        n._labels = new int[batch];
        for (int i = 0; i < batch; i++) n._labels[i] = keys[18].Int(i, 10);
        n._running = net == "resnet" ? [.. Enumerable.Range(0, 5).Select(_ => (Tensor.Zeros([32]), Tensor.Ones([32])))] : [];
        return n;
    }

    private static Tensor[] ResNetParams(Func<int, double, int[], Tensor> u)
    {
        var ps = new List<Tensor> { u(0, 27, [32, 3, 3, 3]), Tensor.Ones([32]), Tensor.Zeros([32]) };
        for (int i = 0; i < 4; i++) ps.AddRange([u(1 + i, 288, [32, 32, 3, 3]), Tensor.Ones([32]), Tensor.Zeros([32])]);
        ps.AddRange([u(5, 288, [64, 32, 3, 3]), u(6, 288, [64]), u(7, 64, [10, 64]), u(8, 64, [10])]);
        return [.. ps];
    }

    /// <summary>
    /// One training step: the parameters become p - lr * dLoss/dp (plain SGD, as a user would run it), inside a
    /// TensorScope that keeps the new parameters, so the gradients' arrays serve the next step.
    /// </summary>
    public void Step()
    {
        using var scope = TensorScope.Begin();
        var (_, grads) = Diff.ValueAndGrad(_loss, [.. _params.Select(p => new Var(p))], new DiffOptions(ReleaseIntermediates: true));
        var p = Tree(_params);
        var (updated, _) = Sgd.Step(p, Tree(grads.Select(g => g.Value)), Sgd.Init(p));
        _params = [.. scope.Keep(updated).Values];
    }

    private static readonly Sgd Sgd = new(LearningRate);

    private static ParamTree<Tensor> Tree(IEnumerable<Tensor> values) =>
        ParamTree.FromPairs(values.Select((t, i) => KeyValuePair.Create($"p{i}", t)));

    // conv 3->32 k3 p1, relu, maxpool 2, conv 32->64 k3 p1, relu, maxpool 2, flatten, linear 4096->512, relu, linear 512->10
    private Var CifarLoss(IReadOnlyList<Var> p)
    {
        var h = Op.MaxPool2d(Op.Relu(Op.Conv2d(_x, p[0], p[1], padding: 1)), 2);
        h = Op.MaxPool2d(Op.Relu(Op.Conv2d(h, p[2], p[3], padding: 1)), 2);
        h = Op.Relu(Op.Linear(Op.Flatten(h), p[4], p[5]));
        return Op.CrossEntropy(Op.Linear(h, p[6], p[7]), _labels);
    }

    // conv 3->32 + BN + relu, two basic blocks of 32, max pool 2, conv 32->64 + relu, global average pool, linear 64->10
    private Var ResNetLoss(IReadOnlyList<Var> p)
    {
        var h = Op.Relu(Bn(Op.Conv2d(_x, p[0], null, padding: 1), 0, p[1], p[2]));
        for (int blk = 0; blk < 2; blk++)
        {
            int i = 3 + blk * 6;
            var t = Op.Relu(Bn(Op.Conv2d(h, p[i], null, padding: 1), 1 + 2 * blk, p[i + 1], p[i + 2]));
            t = Bn(Op.Conv2d(t, p[i + 3], null, padding: 1), 2 + 2 * blk, p[i + 4], p[i + 5]);
            h = Op.Relu(h + t);
        }
        h = Op.MaxPool2d(h, 2);
        h = Op.Relu(Op.Conv2d(h, p[15], p[16], padding: 1));
        h = Op.Flatten(Op.GlobalAvgPool2d(h));
        return Op.CrossEntropy(Op.Linear(h, p[17], p[18]), _labels);
    }

    private Var Bn(Var x, int i, Var gamma, Var beta)
    {
        var r = Op.BatchNorm(x, gamma, beta, _running[i].Mean, _running[i].Var, training: true);
        _running[i] = (r.RunningMean!, r.RunningVar!);
        return r.Output;
    }
}
