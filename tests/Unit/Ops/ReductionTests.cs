using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

public class ReductionTests
{
    private static Tensor M(int rows, int cols, params double[] v) => Tensor.FromArray(v, [rows, cols]);

    [Fact]
    public void Max_Axes_HandValues()
    {
        var x = M(2, 3, 1, 5, 2, 7, 0, 3);
        Assert.Equal(7.0, Op.Max(x).Value.ToScalar());
        Assert.Equal([7.0, 5, 3], Op.Max(x, [0]).Value.ToDoubleArray());
        Assert.Equal([5.0, 7], Op.Max(x, [-1]).Value.ToDoubleArray());
        Shape kept = [2, 1];
        Assert.Equal(kept, Op.Max(x, [1], keepDims: true).Shape);
        Assert.Equal([1.0, 0, 2], Op.Min(x, [0]).Value.ToDoubleArray());
    }

    [Fact]
    public void Max_TiedMaxima_SplitTheGradientEvenly()
    {
        var g = Diff.Grad(x => Op.Max(x))(Tensor.FromArray([1.0, 3, 3, 2, 3]));
        Assert.Equal([0, 1.0 / 3, 1.0 / 3, 0, 1.0 / 3], g.Value.ToDoubleArray());
        var gRows = Diff.Grad(x => Op.Sum(Op.Max(x, [1]) * Tensor.FromArray([2.0, 4.0])))(M(2, 2, 1, 1, 0, 5));
        Assert.Equal([1.0, 1, 0, 4], gRows.Value.ToDoubleArray());
    }

    [Fact]
    public void Max_Float32_HandValues()
    {
        var x = Tensor.FromArray([1f, -2f, 8f, 4f], [2, 2]);
        Assert.Equal([8f, 4f], Op.Max(x, [0]).Value.ToFloatArray());
        Assert.Equal(DType.Float32, Op.Max(x).DType);
    }

    [Fact]
    public void Max_EmptyReducedAxis_ThrowsNamingTheAxis()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Max(Tensor.Zeros([2, 0]), [1]));
        Assert.Contains("Max over axis 1 of [2, 0]", ex.Message);
        Assert.Equal([0], Op.Max(Tensor.Zeros([0, 3]), [1]).Shape.ToArray()); // an empty kept axis is fine
    }

    [Fact]
    public void LogSumExp_HandValues_StableForLargeAndInfinite()
    {
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2)), Op.LogSumExp(Tensor.FromArray([1.0, 2.0])).Value.ToScalar(), 1e-14);
        Assert.Equal(1000 + Math.Log(2), Op.LogSumExp(Tensor.FromArray([1000.0, 1000.0])).Value.ToScalar(), 1e-12);
        Assert.Equal(1000 + Math.Log(2), Op.LogSumExp(Tensor.FromArray([1000f, 1000f])).Value.ToScalar(), 1e-3);
        Assert.Equal(-1000 + Math.Log(2), Op.LogSumExp(Tensor.FromArray([-1000.0, -1000.0])).Value.ToScalar(), 1e-12);
        Assert.Equal(double.NegativeInfinity, Op.LogSumExp(Tensor.FromArray([double.NegativeInfinity, double.NegativeInfinity])).Value.ToScalar());
        Assert.Equal(double.PositiveInfinity, Op.LogSumExp(Tensor.FromArray([double.PositiveInfinity, 1.0])).Value.ToScalar());
        Assert.Equal([Math.Log(2), 3 + Math.Log(1 + Math.Exp(-3))], Op.LogSumExp(M(2, 2, 0, 0, 0, 3), [1]).Value.ToDoubleArray());
    }

    [Fact]
    public void LogSumExp_Gradient_IsSoftmaxEvenForLargeInputs()
    {
        var g = Diff.Grad(x => Op.LogSumExp(x))(Tensor.FromArray([1000.0, 1000.0, 1000.0 + Math.Log(2)]));
        var a = g.Value.ToDoubleArray();
        Assert.Equal(0.25, a[0], 1e-12);
        Assert.Equal(0.25, a[1], 1e-12);
        Assert.Equal(0.5, a[2], 1e-12);
    }

    [Fact]
    public void ArgMax_HandValues_FirstOfTies()
    {
        var logits = M(3, 3, 0.1, 0.7, 0.2, 5, 5, 1, -1, -3, -2);
        Assert.Equal([1, 0, 0], Op.ArgMax(logits, 1));
        Assert.Equal([1, 1, 1], Op.ArgMax(logits, 0));
        Assert.Equal([1, 0, 0], Op.ArgMax(logits.Cast(DType.Float32), -1));
    }

    [Fact]
    public void ArgMax_BadInput_ThrowsNamingArgMax()
    {
        Assert.Contains("ArgMax expects a tensor of rank at least 1", Assert.Throws<ArgumentException>(() => Op.ArgMax(Tensor.Scalar(1), 0)).Message);
        Assert.Contains("ArgMax over axis 1 of [3, 0]", Assert.Throws<ArgumentException>(() => Op.ArgMax(Tensor.Zeros([3, 0]), 1)).Message);
        Assert.Throws<ArgumentException>(() => Op.ArgMax(Tensor.Zeros([3, 2]), 2));
    }
}
