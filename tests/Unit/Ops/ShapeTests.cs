using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

public class ShapeTests
{
    private static Tensor Range(params int[] shape) => Tensor.Arange(0, shape.Aggregate(1, (p, d) => p * d), dtype: DType.Float64).Reshape(shape);

    private static double[] V(Var x) => x.Value.ToDoubleArray();

    [Fact]
    public void Permute_HandValues()
    {
        var y = Op.Permute(Range(2, 3), 1, 0);
        Assert.Equal([3, 2], y.Shape.ToArray());
        Assert.Equal([0.0, 3, 1, 4, 2, 5], V(y));
        var z = Op.Permute(Range(2, 3, 4), 2, 0, 1);
        Assert.Equal([4, 2, 3], z.Shape.ToArray());
        Assert.Equal(13.0, z.Value[1, 1, 0]); // x[1, 0, 1]
    }

    [Fact]
    public void Permute_NotAPermutation_ThrowsNamingPermute()
    {
        Assert.Contains("Permute expects 3 dims", Assert.Throws<ArgumentException>(() => Op.Permute(Range(2, 3, 4), 0, 1)).Message);
        Assert.Contains("each axis must appear exactly once", Assert.Throws<ArgumentException>(() => Op.Permute(Range(2, 3), 0, 0)).Message);
        Assert.Contains("each axis must appear exactly once", Assert.Throws<ArgumentException>(() => Op.Permute(Range(2, 3), 0, 2)).Message);
    }

    [Fact]
    public void Transpose_SwapsTwoAxes()
    {
        var y = Op.Transpose(Range(2, 3, 4), 0, -1);
        Assert.Equal([4, 3, 2], y.Shape.ToArray());
        Assert.Equal(Range(2, 3, 4)[1, 2, 3], y.Value[3, 2, 1]);
    }

    [Fact]
    public void Flatten_MergesAxesAndValidates()
    {
        Assert.Equal([2, 60], Op.Flatten(Range(2, 3, 4, 5)).Shape.ToArray());
        Assert.Equal([120], Op.Flatten(Range(2, 3, 4, 5), 0).Shape.ToArray());
        Assert.Equal([2, 12, 5], Op.Flatten(Range(2, 3, 4, 5), 1, 2).Shape.ToArray());
        Assert.Contains("Flatten expects startDim <= endDim", Assert.Throws<ArgumentException>(() => Op.Flatten(Range(2, 3, 4), 2, 1)).Message);
        Assert.Contains("Flatten expects a tensor of rank at least 1", Assert.Throws<ArgumentException>(() => Op.Flatten(Tensor.Scalar(1))).Message);
    }

    [Fact]
    public void Concat_HandValuesAlongEachAxis()
    {
        var a = Range(2, 2);
        var b = ((Var)Range(2, 1) + 10.0).Value;
        Assert.Equal([0.0, 1, 10, 2, 3, 11], V(Op.Concat([a, b], 1)));
        Assert.Equal([0.0, 1, 2, 3, 0, 1, 2, 3], V(Op.Concat([a, a], 0)));
        Assert.Equal([4, 2], Op.Concat([a, a], -2).Shape.ToArray());
    }

    [Fact]
    public void Concat_BadInputs_ThrowNamingConcat()
    {
        Assert.Contains("Concat expects at least one input", Assert.Throws<ArgumentException>(() => Op.Concat([], 0)).Message);
        var ex = Assert.Throws<ArgumentException>(() => Op.Concat([Range(2, 2), Range(3, 2)], 1));
        Assert.Contains("Concat along axis 1 expects every input to match [2, 2] except along that axis, but input 1 is [3, 2]", ex.Message);
        Assert.Contains("mixing element types", Assert.Throws<ArgumentException>(() => Op.Concat([Range(2), Range(2).Cast(DType.Float32)], 0)).Message);
    }

    [Fact]
    public void Slice_HandValuesWithStepsAndNegativeIndices()
    {
        var x = Range(7);
        Assert.Equal([1.0, 3, 5], V(Op.Slice(x, 0, 1, 6, 2)));
        Assert.Equal([4.0, 5], V(Op.Slice(x, 0, -3, -1)));
        Assert.Equal([0.0, 3, 6], V(Op.Slice(x, 0, -100, 100, 3)));
        Assert.Empty(V(Op.Slice(x, 0, 5, 2)));
        Assert.Equal([1.0, 5], V(Op.Slice(Range(2, 4), 1, 1, 2)));
        Assert.Contains("Slice expects a step of at least 1", Assert.Throws<ArgumentException>(() => Op.Slice(x, 0, 0, 3, 0)).Message);
    }

    [Fact]
    public void Slice_Gradient_ScattersBackIntoZeros()
    {
        var g = Diff.Grad(x => Op.Sum(Op.Slice(x, 0, 1, 6, 2) * Tensor.FromArray([1.0, 2, 3])))(Range(7));
        Assert.Equal([0.0, 1, 0, 2, 0, 3, 0], V(g));
    }

    [Fact]
    public void SliceScatter_HandValuesAndValidation()
    {
        Assert.Equal([0.0, 0, 1, 0, 2], V(Op.SliceScatter(Tensor.FromArray([1.0, 2]), [5], 0, 2, 2)));
        var ex = Assert.Throws<ArgumentException>(() => Op.SliceScatter(Tensor.FromArray([1.0, 2]), [4], 0, 2, 2));
        Assert.Contains("SliceScatter cannot place 2 elements at 2, 2+2", ex.Message);
        Assert.Contains("SliceScatter along axis 0 expects x to match", Assert.Throws<ArgumentException>(() => Op.SliceScatter(Range(1, 2), [3, 3], 0, 0)).Message);
    }

    [Fact]
    public void Pad_EachMode_MatchesPyTorch()
    {
        // torch.nn.functional.pad(torch.tensor([[[1., 2., 3.]]]), (2, 2), mode=m)
        var x = Tensor.FromArray([1.0, 2, 3], [1, 1, 3]);
        Assert.Equal([0.0, 0, 1, 2, 3, 0, 0], V(Op.Pad(x, [2, 2])));
        Assert.Equal([9.0, 1, 2, 3, 9], V(Op.Pad(x, [1, 1], PadMode.Zeros, 9)));
        Assert.Equal([3.0, 2, 1, 2, 3, 2, 1], V(Op.Pad(x, [2, 2], PadMode.Reflect)));
        Assert.Equal([1.0, 1, 1, 2, 3, 3, 3], V(Op.Pad(x, [2, 2], PadMode.Replicate)));
        Assert.Equal([2.0, 3, 1, 2, 3, 1, 2], V(Op.Pad(x, [2, 2], PadMode.Circular)));
        Assert.Equal([2.0], V(Op.Pad(x, [-1, -1])));
    }

    [Fact]
    public void Pad_LastAxisFirstOrdering_PadsTheRightAxes()
    {
        // F.pad(x [2, 2], (1, 0, 0, 1)): one column on the left, one row at the bottom
        var y = Op.Pad((Var)Range(2, 2) + 1.0, [1, 0, 0, 1]);
        Assert.Equal([3, 3], y.Shape.ToArray());
        Assert.Equal([0.0, 1, 2, 0, 3, 4, 0, 0, 0], V(y));
        var r = Op.Pad(Tensor.FromArray([1f, 2f, 3f, 4f], [2, 2]), [1, 1, 1, 1], PadMode.Reflect);
        Assert.Equal([4f, 3f, 4f, 3f, 2f, 1f, 2f, 1f, 4f, 3f, 4f, 3f, 2f, 1f, 2f, 1f], r.Value.ToFloatArray());
    }

    [Fact]
    public void Pad_ReflectGradient_AccumulatesIntoSources()
    {
        // reflect (2, 2) of [a, b, c] reads c, b, a, b, c, b, a: a twice, b three times, c twice
        var g = Diff.Grad(x => Op.Sum(Op.Pad(x, [2, 2], PadMode.Reflect)))(Tensor.FromArray([1.0, 2, 3]));
        Assert.Equal([2.0, 3, 2], V(g));
        var gc = Diff.Grad(x => Op.Sum(Op.Pad(x, [3, 0], PadMode.Circular)))(Tensor.FromArray([1.0, 2, 3]));
        Assert.Equal([2.0, 2, 2], V(gc));
        var gz = Diff.Grad(x => Op.Sum(Op.Pad(x, [1, -1], PadMode.Zeros, 5)))(Tensor.FromArray([1.0, 2, 3]));
        Assert.Equal([1.0, 1, 0], V(gz));
    }

    [Fact]
    public void Pad_InvalidPads_ThrowNamingTheRule()
    {
        var x = Tensor.FromArray([1.0, 2, 3], [1, 3]);
        Assert.Contains("Pad with mode Reflect needs each pad smaller than the axis size", Assert.Throws<ArgumentException>(() => Op.Pad(x, [3, 0], PadMode.Reflect)).Message);
        Assert.Contains("Pad with mode Circular needs each pad at most the axis size", Assert.Throws<ArgumentException>(() => Op.Pad(x, [0, 4], PadMode.Circular)).Message);
        Assert.Contains("Pad expects an even number of pads", Assert.Throws<ArgumentException>(() => Op.Pad(x, [1])).Message);
        Assert.Contains("at most 2 per axis", Assert.Throws<ArgumentException>(() => Op.Pad(x, [1, 1, 1, 1, 1, 1])).Message);
        Assert.Contains("negative pads (cropping) are supported in Zeros mode only", Assert.Throws<ArgumentException>(() => Op.Pad(x, [-1, 0], PadMode.Replicate)).Message);
        Assert.Contains("cropping would leave -1 elements", Assert.Throws<ArgumentException>(() => Op.Pad(x, [-2, -2])).Message);
        Assert.Contains("Replicate cannot pad axis 1 of [1, 0]", Assert.Throws<ArgumentException>(() => Op.Pad(Tensor.Zeros([1, 0]), [1, 1], PadMode.Replicate)).Message);
    }

    [Fact]
    public void Pad_Trace_ShowsPadAndSettings()
    {
        var trace = Diff.Trace(xs => Op.Pad(xs[0], [1, 1], PadMode.Reflect), Range(2, 3));
        Assert.Contains(trace.Entries, e => e.Op == "pad" && e.Settings.Contains("mode=Reflect"));
    }
}
