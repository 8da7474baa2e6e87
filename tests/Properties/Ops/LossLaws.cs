using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class LossLaws
{
    /// <summary>A shape of rank 1..3 and a valid axis for it (negative half the time).</summary>
    private static readonly Gen<(int[] Shape, int Axis, int Seed)> ShapeAxis =
        from s in Law.ShapeGen(maxRank: 3)
        from a in Gen.Choose(-s.Length, s.Length - 1)
        from seed in Law.Seed
        select (s, a, seed);

    /// <summary>A logits shape [N, C], labels in [0, C), a reduction and a label smoothing.</summary>
    private static readonly Gen<(int N, int C, int[] Labels, Reduction Reduction, double Smoothing, int Seed)> Classification =
        from n in Gen.Choose(1, 5)
        from c in Gen.Choose(1, 6)
        from labels in Gen.ArrayOf(Gen.Choose(0, c - 1), n)
        from r in Gen.Elements(Reduction.Mean, Reduction.Sum, Reduction.None)
        from eps in Gen.Elements(0.0, 0.1, 0.5, 1.0)
        from seed in Law.Seed
        select (n, c, labels, r, eps, seed);

    private static readonly Gen<(int[] Shape, Reduction Reduction, int Seed)> ShapeReduction =
        from s in Law.ShapeGen(maxRank: 3)
        from r in Gen.Elements(Reduction.Mean, Reduction.Sum, Reduction.None)
        from seed in Law.Seed
        select (s, r, seed);

    private static Tensor Normal(int seed, int[] shape, double scale = 1) =>
        Tensor.RandomNormal(Rng.Seed(seed), shape, std: scale, dtype: DType.Float64);

    [Fact]
    public void Softmax_EachAxis_GradientMatchesFiniteDifferences() =>
        Law.Check(ShapeAxis, c => Law.Gradient($"softmax axis {c.Axis}", xs => Op.Softmax(xs[0], c.Axis), c.Seed, c.Shape));

    [Fact]
    public void LogSoftmax_EachAxis_GradientMatchesFiniteDifferences() =>
        Law.Check(ShapeAxis, c => Law.Gradient($"log_softmax axis {c.Axis}", xs => Op.LogSoftmax(xs[0], c.Axis), c.Seed, c.Shape));

    [Fact]
    public void Pick_GradientMatchesFiniteDifferences() =>
        Law.Check(Classification, c => Law.Gradient("pick", xs => Op.Pick(xs[0], c.Labels), c.Seed, [c.N, c.C]));

    [Fact]
    public void PickTranspose_GradientMatchesFiniteDifferences() =>
        Law.Check(Classification, c => Law.Gradient("pick_transpose", xs => Op.PickTranspose(xs[0], c.Labels, c.C), c.Seed, [c.N]));

    [Fact]
    public void Nll_EachReduction_GradientMatchesFiniteDifferences() =>
        Law.Check(Classification, c => Law.Gradient($"nll {c.Reduction}", xs => Op.Nll(xs[0], c.Labels, c.Reduction), c.Seed, [c.N, c.C]));

    [Fact]
    public void CrossEntropy_EachReductionAndSmoothing_GradientMatchesFiniteDifferences() =>
        Law.Check(Classification, c => Law.Gradient($"cross_entropy {c.Reduction} smoothing {c.Smoothing}",
            xs => Op.CrossEntropy(xs[0], c.Labels, c.Reduction, c.Smoothing), c.Seed, [c.N, c.C]));

    [Fact]
    public void BinaryCrossEntropyWithLogits_EachReduction_GradientMatchesFiniteDifferences() =>
        Law.Check(ShapeReduction, c => Law.Gradient($"bce_with_logits {c.Reduction}",
            xs => Op.BinaryCrossEntropyWithLogits(xs[0] * 3.0, xs[1], c.Reduction), c.Seed, c.Shape, c.Shape));

    [Fact]
    public void MseLoss_EachReduction_GradientMatchesFiniteDifferences() =>
        Law.Check(ShapeReduction, c => Law.Gradient($"mse {c.Reduction}", xs => Op.MseLoss(xs[0], xs[1], c.Reduction), c.Seed, c.Shape, c.Shape));

    [Fact]
    public void SoftplusAndSigmoid_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(maxRank: 3), c =>
        {
            Law.Gradient("softplus", xs => Op.Softplus(xs[0] * 4.0), c.Seed, c.Shape);
            Law.Gradient("sigmoid", xs => Op.Sigmoid(xs[0] * 4.0), c.Seed, c.Shape);
        });

    [Fact]
    public void Rsqrt_PositiveInputs_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(maxRank: 3), c => Law.Gradient("rsqrt", xs => Op.Rsqrt(xs[0] * xs[0] + 0.5), c.Seed, c.Shape));

    [Fact]
    public void Softmax_EachAxis_SumsToOneAndIgnoresConstantShift() =>
        Law.Check(ShapeAxis, c =>
        {
            var x = Normal(c.Seed, c.Shape, 5);
            var y = Op.Softmax(x, c.Axis);
            var sums = Op.Sum(y, [c.Axis]).Value;
            Assert.All(sums.ToDoubleArray(), s => Assert.Equal(1.0, s, 1e-12));
            // a different constant for every slice along the axis
            var shiftShape = (int[])c.Shape.Clone();
            shiftShape[c.Axis < 0 ? c.Axis + c.Shape.Length : c.Axis] = 1;
            var shifted = Op.Softmax((Var)x + Normal(c.Seed + 1, shiftShape, 100), c.Axis).Value;
            Assert.True(shifted.AllClose(y.Value, rtol: 1e-9, atol: 1e-12), $"{shifted} != {y.Value}");
        });

    [Fact]
    public void LogSoftmax_ModerateInputs_EqualsLogOfSoftmax() =>
        Law.Check(ShapeAxis, c =>
        {
            var x = Normal(c.Seed, c.Shape, 3);
            var ls = Op.LogSoftmax(x, c.Axis).Value.ToDoubleArray();
            var s = Op.Softmax(x, c.Axis).Value.ToDoubleArray();
            for (int i = 0; i < s.Length; i++) Assert.Equal(Math.Log(s[i]), ls[i], 1e-12);
        });

    [Fact]
    public void LogSoftmax_HugeInputs_StaysFiniteAndShiftInvariant() =>
        Law.Check(ShapeAxis, c =>
        {
            // inputs of order 1000, whose exponentials overflow double
            var x = Normal(c.Seed, c.Shape, 1000);
            var ls = Op.LogSoftmax(x, c.Axis).Value;
            Assert.All(ls.ToDoubleArray(), v => Assert.True(double.IsFinite(v) && v <= 0, $"log_softmax gave {v}"));
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                Assert.All(Op.Softmax(x.Cast(dtype), c.Axis).Value.ToDoubleArray(), v => Assert.True(double.IsFinite(v)));
        });

    [Fact]
    public void CrossEntropy_OfLinearFunction_SecondOrderMatchesFiniteDifferences() =>
        Law.Check(Classification, c =>
        {
            const int d = 3;
            // logits[n, c] = sum_k x[n, k] w[k, c], written with broadcasting
            Var Loss(IReadOnlyList<Var> xs) =>
                Op.CrossEntropy(Op.Sum(Op.Reshape(xs[0], c.N, d, 1) * Op.Reshape(xs[1], 1, d, c.C), [1]), c.Labels, Reduction.Mean, c.Smoothing);
            var r = GradCheck.CheckSecondOrder("cross_entropy(x w)", Loss, [Normal(c.Seed, [c.N, d]), Normal(c.Seed + 1, [d, c.C])], Rng.Seed(c.Seed));
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);
}
