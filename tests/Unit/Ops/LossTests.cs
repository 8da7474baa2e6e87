using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

// Expected values were computed with Python's math module straight from the formulas, e.g.
//   lse = lambda v: max(v) + math.log(sum(math.exp(x - max(v)) for x in v))
//   lse([1, 2, 3]) - 3                                   # cross-entropy of [[1, 2, 3]], label 2
//   max(x, 0) - x * t + math.log1p(math.exp(-abs(x)))    # binary cross-entropy with logits
public class LossTests
{
    private static Tensor M(double[,] v)
    {
        var flat = new double[v.Length];
        Buffer.BlockCopy(v, 0, flat, 0, flat.Length * sizeof(double));
        return Tensor.FromArray(flat, [v.GetLength(0), v.GetLength(1)]);
    }

    private static Tensor V(params double[] v) => Tensor.FromArray(v);

    private static void Close(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"element {i}: expected {expected[i]} but got {a[i]}");
    }

    [Fact]
    public void Softmax_OneRow_MatchesHandValues() =>
        Close([0.09003057317038043, 0.24472847105479759, 0.6652409557748217], Op.Softmax(M(new double[,] { { 1, 2, 3 } })).Value);

    [Fact]
    public void Softmax_Axis0_NormalisesColumns()
    {
        var y = Op.Softmax(M(new double[,] { { 1, 5 }, { 2, 5 } }), axis: 0).Value;
        Close([1 / (1 + Math.E), 0.5, Math.E / (1 + Math.E), 0.5], y);
    }

    [Fact]
    public void Softmax_Float32_MatchesFloat64()
    {
        var x = V(1, 2, 3, -4);
        var y32 = Op.Softmax(x.Cast(DType.Float32)).Value;
        Assert.Equal(DType.Float32, y32.DType);
        Assert.True(y32.Cast(DType.Float64).AllClose(Op.Softmax(x).Value, rtol: 1e-6, atol: 1e-7));
    }

    [Fact]
    public void LogSoftmax_LargeInputs_StaysFinite()
    {
        Close([0, -1000], Op.LogSoftmax(V(1000, 0)).Value);
        Close([0, -1000], Op.LogSoftmax(V(1000, 0).Cast(DType.Float32)).Value);
    }

    [Fact]
    public void Pick_TwoRows_GathersOnePerRow()
    {
        var x = M(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        Close([3, 4], Op.Pick(x, [2, 0]).Value);
        var (_, pb) = Diff.Vjp(v => Op.Pick(v, [2, 0]), x);
        Close([0, 0, 10, 20, 0, 0], pb(V(10, 20)).Value);
    }

    [Fact]
    public void Nll_EachReduction_MatchesHandValues()
    {
        var lp = M(new double[,] { { -1, -2 }, { -3, -4 } });
        Assert.Equal(2.5, Op.Nll(lp, [1, 0]).Value.ToScalar());
        Assert.Equal(5.0, Op.Nll(lp, [1, 0], Reduction.Sum).Value.ToScalar());
        Close([2, 3], Op.Nll(lp, [1, 0], Reduction.None).Value);
    }

    [Fact]
    public void CrossEntropy_OneRow_MatchesHandValue() =>
        Assert.Equal(0.4076059644443806, Op.CrossEntropy(M(new double[,] { { 1, 2, 3 } }), [2]).Value.ToScalar(), 1e-14);

    [Fact]
    public void CrossEntropy_Float32_MatchesHandValue()
    {
        var y = Op.CrossEntropy(M(new double[,] { { 1, 2, 3 } }).Cast(DType.Float32), [2]).Value;
        Assert.Equal(DType.Float32, y.DType);
        Assert.Equal(0.4076059644443806, y.ToScalar(), 1e-6);
    }

    [Fact]
    public void CrossEntropy_EachReduction_MatchesHandValues()
    {
        var x = M(new double[,] { { 1, 2, 3 }, { 0.5, -1, 2 } });
        Assert.Equal(1.0744586305507688, Op.CrossEntropy(x, [2, 0]).Value.ToScalar(), 1e-14);
        Assert.Equal(2.1489172611015377, Op.CrossEntropy(x, [2, 0], Reduction.Sum).Value.ToScalar(), 1e-14);
        Close([0.4076059644443806, 1.7413112966571571], Op.CrossEntropy(x, [2, 0], Reduction.None).Value, 1e-14);
    }

    [Fact]
    public void CrossEntropy_LabelSmoothing_MixesInUniformTarget() =>
        // 0.9 * 0.40760596 + 0.1 * mean_c(-log_softmax) = 0.9 * 0.40760596 + 0.1 * 1.40760596
        Assert.Equal(0.5076059644443807, Op.CrossEntropy(M(new double[,] { { 1, 2, 3 } }), [2], labelSmoothing: 0.1).Value.ToScalar(), 1e-14);

    [Fact]
    public void CrossEntropy_Gradient_IsSoftmaxMinusOneHotOverN()
    {
        var g = Diff.Grad(v => Op.CrossEntropy(v, [2]))(M(new double[,] { { 1, 2, 3 } })).Value;
        Close([0.09003057317038043, 0.24472847105479759, 0.6652409557748217 - 1], g);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_MatchesHandValues()
    {
        Close([0.6931471805599453, 2.1269280110429727, 1.548587351573742],
            Op.BinaryCrossEntropyWithLogits(V(0, 2, -3), V(1, 0, 0.5), Reduction.None).Value);
        Assert.Equal(1.4562208477255532, Op.BinaryCrossEntropyWithLogits(V(0, 2, -3), V(1, 0, 0.5)).Value.ToScalar(), 1e-14);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_ExtremeLogits_StaysFinite() =>
        Close([1000, 1000, 0], Op.BinaryCrossEntropyWithLogits(V(1000, -1000, 1000), V(0, 1, 1), Reduction.None).Value);

    [Fact]
    public void MseLoss_EachReduction_MatchesHandValues()
    {
        Assert.Equal(13.0 / 3, Op.MseLoss(V(1, 2, 3), V(1, 0, 0)).Value.ToScalar(), 1e-14);
        Assert.Equal(13.0, Op.MseLoss(V(1, 2, 3), V(1, 0, 0), Reduction.Sum).Value.ToScalar());
        Close([0, 4, 9], Op.MseLoss(V(1, 2, 3), V(1, 0, 0), Reduction.None).Value);
    }

    [Fact]
    public void BatchNorm_Training_NormalisesAndUpdatesRunningStats()
    {
        // one channel, batch [1, 3]: mean 2, biased variance 1, unbiased variance 2
        var r = Op.BatchNorm(M(new double[,] { { 1 }, { 3 } }), null, null, V(0), V(1), training: true);
        double s = 1 / Math.Sqrt(1 + 1e-5);
        Close([-s, s], r.Output.Value);
        Close([0.2], r.RunningMean!);
        Close([0.9 * 1 + 0.1 * 2], r.RunningVar!, 1e-15);
    }

    [Fact]
    public void Float32Inputs_GiveFloat32ResultsCloseToFloat64()
    {
        var x = Tensor.RandomNormal(Rng.Seed(3), [4, 3], dtype: DType.Float64);
        var t = Tensor.RandomUniform(Rng.Seed(4), [4, 3], dtype: DType.Float64);
        Tensor w = V(1, 2, 3), b = V(0, -1, 1);
        Func<Tensor, Tensor, Tensor, Tensor, Tensor>[] ops =
        [
            (x, t, w, b) => Op.BatchNorm(x, w, b, null, null, training: true).Output.Value,
            (x, t, w, b) => Op.BatchNorm(x, w, b, b, w, training: false).Output.Value,
            (x, t, w, b) => Op.BinaryCrossEntropyWithLogits(x, t, Reduction.None).Value,
            (x, t, w, b) => Op.MseLoss(x, t, Reduction.None).Value,
            (x, t, w, b) => Op.CrossEntropy(x, [0, 1, 2, 0], Reduction.None, 0.2).Value,
        ];
        foreach (var f in ops)
        {
            var y32 = f(x.Cast(DType.Float32), t.Cast(DType.Float32), w.Cast(DType.Float32), b.Cast(DType.Float32));
            Assert.Equal(DType.Float32, y32.DType);
            Assert.True(y32.Cast(DType.Float64).AllClose(f(x, t, w, b), rtol: 1e-5, atol: 1e-5));
        }
    }

    [Fact]
    public void BatchNorm_TrainingWithoutRunningStats_ReturnsNullStats()
    {
        var r = Op.BatchNorm(M(new double[,] { { 1 }, { 3 } }), null, null, null, null, training: true);
        Assert.Null(r.RunningMean);
        Assert.Null(r.RunningVar);
    }

    [Fact]
    public void BatchNorm_Eval_UsesRunningStatsAndAffine()
    {
        // (2 - 1) / sqrt(4) * 3 + 1 = 2.5
        var r = Op.BatchNorm(M(new double[,] { { 2 } }), V(3), V(1), V(1), V(4), training: false, eps: 0);
        Close([2.5], r.Output.Value);
        Close([1], r.RunningMean!);
        Close([4], r.RunningVar!);
    }

    [Fact]
    public void BatchNorm_FourDimensional_StatisticsPerChannel()
    {
        // channel 0 holds 1, 3 (N = 2, H = W = 1); channel 1 holds 10, 10 (variance 0, so the output is 0)
        var x = Tensor.FromArray(new double[] { 1, 10, 3, 10 }, [2, 2, 1, 1]);
        var r = Op.BatchNorm(x, null, null, null, null, training: true, eps: 1e-5);
        double s = 1 / Math.Sqrt(1 + 1e-5);
        Close([-s, 0, s, 0], r.Output.Value);
    }

    [Fact]
    public void Dropout_Training_ZeroesOrScalesAndIsDeterministic()
    {
        var x = Tensor.Ones([1000], DType.Float64);
        var a = Op.Dropout(x, 0.25, Rng.Seed(7), training: true).Value.ToDoubleArray();
        var b = Op.Dropout(x, 0.25, Rng.Seed(7), training: true).Value.ToDoubleArray();
        var c = Op.Dropout(x, 0.25, Rng.Seed(8), training: true).Value.ToDoubleArray();
        Assert.All(a, v => Assert.True(v == 0 || Math.Abs(v - 4.0 / 3) < 1e-15));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Dropout_POne_GivesZeros() =>
        Close([0, 0, 0], Op.Dropout(V(1, 2, 3), 1, Rng.Seed(1), training: true).Value);

    [Fact]
    public void Dropout_EvalOrPZero_ReturnsInput()
    {
        Var x = V(1, 2, 3);
        Assert.Same(x, Op.Dropout(x, 0.5, Rng.Seed(1), training: false));
        Assert.Same(x, Op.Dropout(x, 0, Rng.Seed(1), training: true));
    }

    [Theory]
    [InlineData("Nll")]
    [InlineData("CrossEntropy")]
    [InlineData("Pick")]
    public void LabelOutOfRange_Throws_NamingOpLabelPositionAndClasses(string op)
    {
        var x = M(new double[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        int[] labels = [0, 5];
        var ex = Assert.Throws<ArgumentException>(() => op switch
        {
            "Nll" => Op.Nll(x, labels),
            "CrossEntropy" => Op.CrossEntropy(x, labels),
            _ => Op.Pick(x, labels),
        });
        Assert.StartsWith(op + " ", ex.Message);
        Assert.Contains("label 5", ex.Message);
        Assert.Contains("position 1", ex.Message);
        Assert.Contains("C = 3", ex.Message);
    }

    [Fact]
    public void CrossEntropy_NegativeLabel_Throws() =>
        Assert.Contains("label -1", Assert.Throws<ArgumentException>(() => Op.CrossEntropy(M(new double[,] { { 1, 2 } }), [-1])).Message);

    [Fact]
    public void CrossEntropy_WrongLabelCount_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.CrossEntropy(M(new double[,] { { 1, 2 }, { 3, 4 } }), [0]));
        Assert.Contains("1 labels", ex.Message);
        Assert.Contains("N = 2", ex.Message);
    }

    [Fact]
    public void CrossEntropy_NotMatrix_Throws() =>
        Assert.Contains("[N, C]", Assert.Throws<ArgumentException>(() => Op.CrossEntropy(V(1, 2, 3), [0])).Message);

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void CrossEntropy_SmoothingOutOfRange_Throws(double eps) =>
        Assert.Contains("labelSmoothing", Assert.Throws<ArgumentException>(() => Op.CrossEntropy(M(new double[,] { { 1, 2 } }), [0], labelSmoothing: eps)).Message);

    [Fact]
    public void MseLoss_ShapeMismatch_ThrowsNamingBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.MseLoss(V(1, 2, 3), Tensor.Zeros([3, 1], DType.Float64)));
        Assert.StartsWith("MseLoss", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[3, 1]", ex.Message);
    }

    [Fact]
    public void BinaryCrossEntropyWithLogits_ShapeMismatch_ThrowsNamingBothShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.BinaryCrossEntropyWithLogits(V(1, 2), V(1, 2, 3)));
        Assert.StartsWith("BinaryCrossEntropyWithLogits", ex.Message);
        Assert.Contains("[2]", ex.Message);
        Assert.Contains("[3]", ex.Message);
    }

    [Fact]
    public void MseLoss_MixedTypes_ThrowsNamingOp() =>
        Assert.StartsWith("MseLoss", Assert.Throws<ArgumentException>(() => Op.MseLoss(V(1), V(1).Cast(DType.Float32))).Message);

    [Fact]
    public void Loss_UndefinedReduction_Throws() =>
        Assert.Contains("Reduction.Mean", Assert.Throws<ArgumentException>(() => Op.MseLoss(V(1), V(1), (Reduction)7)).Message);

    [Fact]
    public void BatchNorm_EvalWithoutRunningStats_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.BatchNorm(M(new double[,] { { 1 }, { 2 } }), null, null, null, null, training: false));
        Assert.Contains("evaluation", ex.Message);
        Assert.Contains("running", ex.Message);
    }

    [Fact]
    public void BatchNorm_WeightChannelMismatch_ThrowsNamingShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.BatchNorm(Tensor.Zeros([2, 3, 4, 4], DType.Float64), V(1, 1), null, null, null, training: true));
        Assert.Contains("weight [3]", ex.Message);
        Assert.Contains("[2, 3, 4, 4]", ex.Message);
        Assert.Contains("[2]", ex.Message);
    }

    [Fact]
    public void BatchNorm_OnlyOneRunningStat_Throws() =>
        Assert.Contains("both", Assert.Throws<ArgumentException>(() => Op.BatchNorm(M(new double[,] { { 1 }, { 2 } }), null, null, V(0), null, training: true)).Message);

    [Fact]
    public void BatchNorm_TrainingOneValuePerChannel_Throws() =>
        Assert.Contains("more than one value per channel", Assert.Throws<ArgumentException>(() => Op.BatchNorm(M(new double[,] { { 1, 2 } }), null, null, null, null, training: true)).Message);

    [Fact]
    public void BatchNorm_VectorInput_Throws() =>
        Assert.Contains("[N, C]", Assert.Throws<ArgumentException>(() => Op.BatchNorm(V(1, 2), null, null, null, null, training: true)).Message);

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Dropout_POutOfRange_Throws(double p)
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Dropout(V(1, 2), p, Rng.Seed(1), training: true));
        Assert.StartsWith("Dropout", ex.Message);
        Assert.Contains("[0, 1]", ex.Message);
    }

    [Fact]
    public void Softmax_AxisOutOfRange_ThrowsNamingOp()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.LogSoftmax(V(1, 2), axis: 1));
        Assert.StartsWith("LogSoftmax", ex.Message);
        Assert.Contains("axis 1", ex.Message);
    }
}
