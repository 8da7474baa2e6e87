using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

public class MatMulTests
{
    private static Tensor T(double[] v, params int[] shape) => Tensor.FromArray(v, shape);

    [Fact]
    public void MatMul_Matrices_HandChecked()
    {
        var a = T([1, 2, 3, 4, 5, 6], 2, 3);
        var b = T([7, 8, 9, 10, 11, 12], 3, 2);
        var y = Op.MatMul(a, b).Value;
        Assert.Equal(Shape.Create([2, 2]), y.Shape);
        Assert.Equal([58.0, 64.0, 139.0, 154.0], y.ToDoubleArray());
    }

    [Fact]
    public void MatMul_TransposeFlags_ReadOperandsTransposed()
    {
        var at = T([1, 4, 2, 5, 3, 6], 3, 2);          // [[1, 2, 3], [4, 5, 6]] transposed
        var bt = T([7, 9, 11, 8, 10, 12], 2, 3);        // [[7, 8], [9, 10], [11, 12]] transposed
        Assert.Equal([58.0, 64.0, 139.0, 154.0], Op.MatMul(at, bt, true, true).Value.ToDoubleArray());
    }

    [Fact]
    public void MatMul_BroadcastBatch_MultipliesEachBatchByTheSharedMatrix()
    {
        // a [2, 1, 1, 2] (two 1x2 rows) times b [3, 2, 1] (three 2x1 columns) -> [2, 3, 1, 1]
        var a = T([1, 2, 3, 4], 2, 1, 1, 2);
        var b = T([1, 0, 0, 1, 1, 1], 3, 2, 1);
        var y = Op.MatMul(a, b).Value;
        Assert.Equal(Shape.Create([2, 3, 1, 1]), y.Shape);
        Assert.Equal([1.0, 2.0, 3.0, 3.0, 4.0, 7.0], y.ToDoubleArray());
    }

    [Fact]
    public void MatMul_Vectors_FollowTorchMatmul()
    {
        var m = T([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(Shape.Create([]), Op.MatMul(T([1, 2, 3], 3), T([4, 5, 6], 3)).Value.Shape);
        Assert.Equal(32.0, Op.MatMul(T([1, 2, 3], 3), T([4, 5, 6], 3)).Value.ToScalar());
        Assert.Equal([14.0, 32.0], Op.MatMul(m, T([1, 2, 3], 3)).Value.ToDoubleArray());
        var vm = Op.MatMul(T([1, 1], 2), m).Value;
        Assert.Equal(Shape.Create([3]), vm.Shape);
        Assert.Equal([5.0, 7.0, 9.0], vm.ToDoubleArray());
    }

    [Fact]
    public void MatMul_EmptyInnerDimension_IsZeros()
    {
        var y = Op.MatMul(Tensor.Zeros([2, 0]), Tensor.Zeros([0, 3])).Value;
        Assert.Equal(Shape.Create([2, 3]), y.Shape);
        Assert.All(y.ToDoubleArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void MatMul_Float32_MatchesFloat64()
    {
        var a = T([1, 2, 3, 4, 5, 6], 2, 3);
        var b = T([7, 8, 9, 10, 11, 12], 3, 2);
        var y = Op.MatMul(a.Cast(DType.Float32), b.Cast(DType.Float32)).Value;
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal([58f, 64f, 139f, 154f], y.ToFloatArray());
    }

    [Fact]
    public void MatMul_InnerDimensionMismatch_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MatMul(Tensor.Zeros([2, 3]), Tensor.Zeros([4, 5])));
        Assert.Contains("MatMul", ex.Message);
        Assert.Contains("[2, 3] and [4, 5]", ex.Message);
        Assert.Contains("3 against 4", ex.Message);
    }

    [Fact]
    public void MatMul_BatchMismatch_ThrowsNamingBatchDimension()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MatMul(Tensor.Zeros([2, 3, 4]), Tensor.Zeros([5, 4, 6])));
        Assert.Contains("batch dimension 0 is 2 against 5", ex.Message);
    }

    [Fact]
    public void MatMul_Scalar_ThrowsSuggestingMultiply()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MatMul(Tensor.Scalar(2), Tensor.Zeros([2, 2])));
        Assert.Contains("Multiply", ex.Message);
    }

    [Fact]
    public void MatMul_VectorWithTransposeFlag_ThrowsAskingForMatrices()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MatMul(Tensor.Zeros([3]), Tensor.Zeros([3, 2]), true, false));
        Assert.Contains("rank at least 2", ex.Message);
    }

    [Fact]
    public void MatMul_MixedElementTypes_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MatMul(Tensor.Zeros([2, 2]), Tensor.Zeros([2, 2], DType.Float64)));
        Assert.Contains("MatMul", ex.Message);
    }

    [Fact]
    public void Linear_WithBias_HandChecked()
    {
        var x = T([1, 2, 3, 4], 2, 2);
        var w = T([1, 0, 1, 1, 0, 2], 3, 2);   // out = 3, in = 2
        var b = T([10, 20, 30], 3);
        var y = Op.Linear(x, w, b).Value;
        Assert.Equal(Shape.Create([2, 3]), y.Shape);
        Assert.Equal([11.0, 23.0, 34.0, 13.0, 27.0, 38.0], y.ToDoubleArray());
        Assert.Equal([1.0, 3.0, 4.0], Op.Linear(T([1, 2], 2), w).Value.ToDoubleArray());
    }

    [Fact]
    public void Linear_LeadingDimensions_ArePreserved()
    {
        var y = Op.Linear(Tensor.Ones([2, 3, 4]), Tensor.Ones([5, 4]), Tensor.Ones([5])).Value;
        Assert.Equal(Shape.Create([2, 3, 5]), y.Shape);
        Assert.All(y.ToDoubleArray(), v => Assert.Equal(5.0, v));
    }

    [Fact]
    public void Linear_InFeaturesMismatch_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Linear(Tensor.Zeros([64, 784]), Tensor.Zeros([128, 3136])));
        Assert.StartsWith("Linear expects input [..., 3136] (weight [128, 3136]) but got [64, 784]", ex.Message);
    }

    [Fact]
    public void Linear_BadBiasOrWeight_Throws()
    {
        var bias = Assert.Throws<ArgumentException>(() => Op.Linear(Tensor.Zeros([2, 4]), Tensor.Zeros([3, 4]), Tensor.Zeros([4])));
        Assert.Contains("bias [3]", bias.Message);
        var weight = Assert.Throws<ArgumentException>(() => Op.Linear(Tensor.Zeros([2, 4]), Tensor.Zeros([4])));
        Assert.Contains("weight [out, in]", weight.Message);
    }
}
