using Cnn.Autodiff;

namespace Cnn.Unit.Tensors;

public class ParamTreeTests
{
    private static ParamTree<Tensor> Sample() => ParamTree.Of(
        ("features", ParamTree.Of(("0", ParamTree.Of(("weight", Tensor.Ones([2, 3])), ("bias", Tensor.Zeros([2])))))),
        ("head", Tensor.Full([3], 2)));

    [Fact]
    public void Of_NestsSubtreesUnderDottedPaths()
    {
        Assert.Equal(["features.0.weight", "features.0.bias", "head"], Sample().Paths);
        Assert.Equal(Shape.Create([2, 3]), Sample()["features.0.weight"].Shape);
    }

    [Fact]
    public void Sub_StripsThePrefix() =>
        Assert.Equal(["weight", "bias"], Sample().Sub("features.0").Paths);

    [Fact]
    public void MapZipFilter_KeepPathsAndOrder()
    {
        var t = Sample();
        var sizes = t.Map(x => x.Size);
        Assert.Equal([6, 2, 3], sizes.Values);
        var sum = t.Zip(sizes, (x, n) => x.Size + n);
        Assert.Equal([12, 4, 6], sum.Values);
        Assert.Equal(["head"], t.Filter((p, _) => !p.StartsWith("features")).Paths);
    }

    [Fact]
    public void Zip_DifferentPaths_NamesTheDifference()
    {
        var ex = Assert.Throws<ArgumentException>(() => Sample().Zip(Sample().Filter((p, _) => p != "head"), (a, b) => a));
        Assert.Contains("head", ex.Message);
    }

    [Fact]
    public void Indexer_MissingPath_ListsWhatExists()
    {
        var ex = Assert.Throws<KeyNotFoundException>(() => Sample()["features.1.weight"]);
        Assert.Contains("features.0.weight", ex.Message);
    }

    [Fact]
    public void DuplicatePath_Throws() =>
        Assert.Throws<ArgumentException>(() => ParamTree.Of(("a", Tensor.Ones([1])), ("a", Tensor.Ones([1]))));

    [Fact]
    public void With_ReplacesWithoutMutating()
    {
        var t = Sample();
        var u = t.With("head", Tensor.Zeros([3]));
        Assert.Equal(2.0, t["head"].At(0));
        Assert.Equal(0.0, u["head"].At(0));
        Assert.Equal(t.Paths, u.Paths);
    }
}
