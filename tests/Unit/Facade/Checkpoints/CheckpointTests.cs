using Cnn.Autodiff;
using Cnn.Facade.Checkpoints;
using static Cnn.Unit.Facade.Checkpoints.CheckpointFiles;

namespace Cnn.Unit.Facade.Checkpoints;

public class CheckpointTests
{
    private static ParamTree<Tensor> Params(double shift = 0) => ParamTree.Of(
        ("0.weight", Tensor.Generate([2, 3], DType.Float32, i => i + shift)),
        ("0.bias", Tensor.Generate([2], DType.Float32, i => -i - shift)),
        ("1.weight", Tensor.Generate([2], DType.Float32, i => 1 + i + shift)));

    private static ParamTree<Tensor> State() => ParamTree.Of(
        ("1.running_mean", Tensor.FromArray([0.5f, -0.5f])),
        ("1.running_var", Tensor.FromArray([2f, 3f])));

    [Fact]
    public void Save_ThenLoad_ReturnsParametersStateAndMetadata()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        Checkpoint.Save(path, Params(), State(), new Dictionary<string, string> { ["epoch"] = "3" });

        var loaded = Checkpoint.Load(path, Params(shift: 10), State().Map(t => t.FullLike(0)));
        AssertTreesBitEqual(Params(), loaded.Parameters);
        AssertTreesBitEqual(State(), loaded.State);
        Assert.Equal("3", loaded.Metadata["epoch"]);
        Assert.True(loaded.Report.IsExactMatch);
        Assert.Equal(["model.safetensors"], dir.Names());
    }

    [Fact]
    public void Save_ParametersAndStateShareOneNamespace_LikeStateDict()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        Checkpoint.Save(path, Params(), State());
        Assert.Equal(["0.weight", "0.bias", "1.weight", "1.running_mean", "1.running_var"], Checkpoint.Read(path).Tensors.Paths);
    }

    [Fact]
    public void Save_NameInBothTrees_ThrowsArgumentException()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<ArgumentException>(() => Checkpoint.Save(dir.File("m.safetensors"), Params(), ParamTree.Of(("0.bias", Tensor.Zeros([2])))));
        Assert.Contains("'0.bias' is both a parameter and a state entry", ex.Message);
        Assert.Empty(dir.Names());
    }

    [Fact]
    public void Load_Float64FileIntoFloat32Model_ConvertsToExpectedType()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        Checkpoint.Save(path, Params().Map(t => t.Cast(DType.Float64)), ParamTree<Tensor>.Empty);
        var loaded = Checkpoint.Load(path, Params(shift: 1), ParamTree<Tensor>.Empty);
        AssertTreesBitEqual(Params(), loaded.Parameters);
    }

    [Fact]
    public void Load_Strict_ListsEveryMissingUnexpectedAndMisShapedEntry()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        Checkpoint.Save(path, ParamTree.Of(
            ("0.weight", Tensor.Zeros([2, 3])), ("0.bias", Tensor.Zeros([3])), ("extra.weight", Tensor.Zeros([1])), ("extra.bias", Tensor.Zeros([1]))),
            ParamTree.Of(("1.running_var", Tensor.Ones([5]))));

        var ex = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(path, Params(), State()));
        Assert.Equal<string>(["1.weight", "1.running_mean"], ex.Report.Missing);
        Assert.Equal<string>(["extra.weight", "extra.bias"], ex.Report.Unexpected);
        Assert.Equal<ShapeMismatch>([new ShapeMismatch("0.bias", [2], [3]), new ShapeMismatch("1.running_var", [2], [5])], ex.Report.Mismatched);
        Assert.Contains(path, ex.Message);
        Assert.Contains("2 missing [1.weight, 1.running_mean]", ex.Message);
        Assert.Contains("2 unexpected [extra.weight, extra.bias]", ex.Message);
        Assert.Contains("2 mis-shaped [0.bias: expected [2], found [3]; 1.running_var: expected [2], found [5]]", ex.Message);
        Assert.Contains("strict: false", ex.Message);
    }

    [Fact]
    public void Load_NonStrict_TakesWhatMatchesAndKeepsTheRest()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        Checkpoint.Save(path, ParamTree.Of(("0.weight", Tensor.Full([2, 3], 7)), ("0.bias", Tensor.Zeros([3])), ("other", Tensor.Zeros([1]))), ParamTree<Tensor>.Empty);

        var expected = Params();
        var loaded = Checkpoint.Load(path, expected, State(), strict: false);
        Assert.Equal(Enumerable.Repeat(7f, 6), loaded.Parameters["0.weight"].ToFloatArray());
        Assert.Same(expected["0.bias"], loaded.Parameters["0.bias"]);
        Assert.Same(expected["1.weight"], loaded.Parameters["1.weight"]);
        AssertTreesBitEqual(State(), loaded.State);
        Assert.Equal<string>(["1.weight", "1.running_mean", "1.running_var"], loaded.Report.Missing);
        Assert.Equal<string>(["other"], loaded.Report.Unexpected);
        Assert.Equal<ShapeMismatch>([new ShapeMismatch("0.bias", [2], [3])], loaded.Report.Mismatched);
        Assert.False(loaded.Report.IsExactMatch);
    }

    [Fact]
    public void Load_UnexpectedBatchCounter_IsIgnoredAndReported()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        Checkpoint.Save(path, Params(), State().With("1.num_batches_tracked", Tensor.Scalar(3, DType.Float64)));
        var loaded = Checkpoint.Load(path, Params(), State());
        Assert.Equal<string>(["1.num_batches_tracked"], loaded.Report.Ignored);
        Assert.True(loaded.Report.IsExactMatch);
    }

    [Fact]
    public void Load_CorruptFile_ThrowsInvalidDataNamingFile()
    {
        using var dir = new TempDirectory();
        var path = dir.File("m.safetensors");
        File.WriteAllBytes(path, Raw("{not json", []));
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path, Params(), State()));
        Assert.StartsWith($"{path}: the header is not well-formed JSON", ex.Message);
    }

    [Theory]
    [InlineData("run/model.safetensors", "run/model.optim.safetensors")]
    [InlineData("run/model.SafeTensors", "run/model.optim.safetensors")]
    [InlineData("run/model.ckpt", "run/model.ckpt.optim.safetensors")]
    [InlineData("model", "model.optim.safetensors")]
    public void OptimizerPath_ReplacesSafetensorsExtension(string path, string expected) =>
        Assert.Equal(expected, Checkpoint.OptimizerPath(path));

    [Fact]
    public void SaveOptimizer_ThenLoadOptimizer_RoundTripsTensorsAndMetadata()
    {
        using var dir = new TempDirectory();
        var path = dir.File("model.safetensors");
        var moments = ParamTree.Of(("m", Params()), ("v", Params(shift: 2).Map(t => t.Cast(DType.Float64))));
        Checkpoint.SaveOptimizer(path, moments, new Dictionary<string, string> { ["step"] = "41", ["lr"] = "0.001" });

        Assert.Equal(["model.optim.safetensors"], dir.Names());
        var back = Checkpoint.LoadOptimizer(path);
        AssertTreesBitEqual(moments, back.Tensors);
        Assert.Equal("41", back.Metadata["step"]);
        Assert.Equal("0.001", back.Metadata["lr"]);
    }
}
