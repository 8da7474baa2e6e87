using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Unit.Layers;

public class FreezeTests
{
    private static readonly FashionLeNet Net = new();

    [Fact]
    public void Split_FeaturesPrefix_FreezesOnlyThatSubtree()
    {
        var p = ParamTree.Of(("features.0.weight", Tensor.Zeros([1])), ("features2.w", Tensor.Zeros([1])), ("classifier.1.weight", Tensor.Zeros([2])));
        var (trainable, frozen) = Freeze.Split(p, "features.*");
        Assert.Equal(["features.0.weight"], frozen.Paths);
        Assert.Equal(["features2.w", "classifier.1.weight"], trainable.Paths);
        Assert.Equal(Freeze.Split(p, "features").Frozen.Paths, frozen.Paths);
    }

    [Fact]
    public void ValueAndGrad_FrozenFeatures_GivesTrainableGradientsOfTheWholeFunction()
    {
        var p = Net.Init(Rng.Seed(1));
        var x = Tensor.RandomNormal(Rng.Seed(2), [2, 1, 28, 28]);
        Var Loss(ParamTree<Var> q) => Op.CrossEntropy(Net.Apply(q, x), [1, 7]);

        var (trainable, frozen) = Freeze.Split(p, "features");
        var (loss, g) = Freeze.ValueAndGrad(Loss, trainable, frozen);

        var (fullLoss, fullG) = Diff.ValueAndGrad(Loss, p);
        Assert.Equal(fullLoss.ToScalar(), loss.ToScalar());
        Assert.Equal(["classifier.1.weight", "classifier.1.bias", "classifier.3.weight", "classifier.3.bias"], g.Paths);
        Assert.All(g, kv => Assert.Equal(0, kv.Value.MaxAbsDiff(fullG[kv.Key])));
    }

    [Fact]
    public void Partition_ThenConcat_KeepsEveryLeaf()
    {
        var p = Net.Init(Rng.Seed(1));
        var (a, b) = p.Partition(path => path.EndsWith(".bias"));
        Assert.All(a.Paths, path => Assert.EndsWith(".bias", path));
        Assert.Equal(p.Paths.Order(), a.Concat(b).Paths.Order());
        Assert.Throws<ArgumentException>(() => a.Concat(a));
    }

    [Fact]
    public void ScalarCount_CountsScalarsAndCountCountsLeaves()
    {
        var p = Net.Init(Rng.Seed(1));
        Assert.Equal(8, p.Count);
        Assert.Equal(421_642, p.ScalarCount());
        Assert.Equal(421_642, p.Map(t => new Var(t)).ScalarCount());
    }

    [Fact]
    public void Conv2d_SamePadding_KeepsSizeAndOptionsConstructorMatchesInts()
    {
        var same = Conv2d.Same(2, 3, 4);
        Assert.Equal(Shape.Create([1, 3, 5, 7]), same.OutputShape([1, 2, 5, 7]));
        Assert.Equal(new Conv2d(2, 3, 3, 2, 1), new Conv2d(2, 3, 3, Conv2dOptions.Create(2, 1)));
        var x = Tensor.RandomNormal(Rng.Seed(1), [1, 2, 5, 7]);
        Assert.Equal(Shape.Create([1, 3, 5, 7]), same.Apply(same.Init(Rng.Seed(0)), x).Shape);
    }

    [Fact]
    public void ConvTranspose2d_Init_UsesFanInOfWeightDimension1()
    {
        // weight [8, 2, 3, 3]: fan-in 2*3*3 = 18 (PyTorch), bound 1/sqrt(18) ~ 0.2357; fan-in from Cin would be 72 (bound 0.118).
        var w = new ConvTranspose2d(8, 2, 3).Init(Rng.Seed(4))["weight"];
        Assert.Equal(Shape.Create([8, 2, 3, 3]), w.Shape);
        var v = w.ToDoubleArray();
        Assert.All(v, e => Assert.InRange(e, -1 / Math.Sqrt(18), 1 / Math.Sqrt(18)));
        Assert.True(v.Max() > 0.2 && v.Min() < -0.2);
    }

    [Fact]
    public void BatchNorm2d_Train_ReturnsPyTorchRunningUpdate()
    {
        var bn = new BatchNorm2d(1);
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 6 }, [4, 1, 1, 1]);
        var r = bn.Forward(bn.Init(Rng.Seed(0)).Map(t => new Var(t)), x, LayerContext.Train(Rng.Seed(0), bn.InitState()));
        // mean 3, unbiased variance 14/3: running_mean = 0.9*0 + 0.1*3, running_var = 0.9*1 + 0.1*14/3.
        Assert.Equal(0.3, r.State["running_mean"].ToScalar(), 6);
        Assert.Equal(0.9 + 1.4 / 3, r.State["running_var"].ToScalar(), 6);
    }

    [Fact]
    public void BatchNorm2d_MissingState_ExplainsWhatToPass()
    {
        var bn = new BatchNorm2d(2);
        var ex = Assert.Throws<ArgumentException>(() => bn.Forward(bn.Init(Rng.Seed(0)).Map(t => new Var(t)), Tensor.Zeros([2, 2, 1, 1]), LayerContext.Eval()));
        Assert.Contains("InitState()", ex.Message);
    }
}
