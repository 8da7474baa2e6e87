using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

/// <summary>
/// Op.BatchNorm (one fused kernel forward, one fused kernel backward) against the composition of
/// generic ops that states its definition, in float64: outputs, running statistics and the cotangents
/// of x, weight and bias, for [N, C], [N, C, L] and [N, C, H, W], with and without the affine
/// parameters, in training and evaluation.
/// </summary>
public class BatchNormTests
{
    // [N, C, ...] with planes of every remainder length and one longer than a summation run
    private static readonly int[][] Shapes = [[5, 3], [4, 2, 7], [2, 3, 4, 5], [3, 2, 300], [2, 1, 17, 9], [7, 4, 1], [2, 2, 3, 1, 5]];

    public static TheoryData<int[], bool, bool, bool> Cases()
    {
        var data = new TheoryData<int[], bool, bool, bool>();
        foreach (var shape in Shapes)
            foreach (bool training in new[] { true, false })
                foreach (bool weight in new[] { true, false })
                    foreach (bool bias in new[] { true, false })
                        data.Add(shape, weight, bias, training);
        return data;
    }

    private const double Eps = 1e-3, Momentum = 0.3;

    private sealed record Case(Tensor X, Tensor? Weight, Tensor? Bias, Tensor RunningMean, Tensor RunningVar, Tensor G);

    private static Case Make(int[] shape, bool weight, bool bias)
    {
        int c = shape[1], seed = shape.Sum() * 7 + (weight ? 1 : 0) + (bias ? 2 : 0);
        Tensor N(int k, int[] s, double mean = 0, double std = 1) => Tensor.RandomNormal(Rng.Seed(seed + k), s, mean, std, DType.Float64);
        return new Case(N(0, shape, mean: 3, std: 2), weight ? N(1, [c]) : null, bias ? N(2, [c]) : null,
            N(3, [c]), Tensor.RandomUniform(Rng.Seed(seed + 4), [c], 0.5, 2, DType.Float64), N(5, shape));
    }

    // The differentiable inputs of a case: x, then weight and bias when present.
    private static Var[] Inputs(Case k) => new[] { k.X, k.Weight, k.Bias }.OfType<Tensor>().Select(t => new Var(t)).ToArray();

    private static (Var? W, Var? B) Affine(Case k, IReadOnlyList<Var> xs) =>
        (k.Weight is null ? null : xs[1], k.Bias is null ? null : xs[k.Weight is null ? 1 : 2]);

    private static Var Fused(Case k, IReadOnlyList<Var> xs, bool training)
    {
        var (w, b) = Affine(k, xs);
        return Op.BatchNorm(xs[0], w, b, k.RunningMean, k.RunningVar, training, Momentum, Eps).Output;
    }

    // The definition, as a composition of generic ops (statistics over every axis but 1, biased variance).
    private static Var Composite(Case k, IReadOnlyList<Var> xs, bool training)
    {
        var x = xs[0];
        var (w, b) = Affine(k, xs);
        var (axes, stat) = Axes(x.Shape);
        Var y;
        if (training)
        {
            var xc = x - Op.Mean(x, axes, keepDims: true);
            y = xc * Op.Rsqrt(Op.Mean(xc * xc, axes, keepDims: true) + Eps);
        }
        else y = (x - k.RunningMean.Reshape(stat)) * Op.Rsqrt((Var)k.RunningVar.Reshape(stat) + Eps);
        if (w is not null) y = y * Op.Reshape(w, stat);
        if (b is not null) y = y + Op.Reshape(b, stat);
        return y;
    }

    private static (int[] Axes, int[] Stat) Axes(Shape s)
    {
        var axes = Enumerable.Range(0, s.Rank).Where(a => a != 1).ToArray();
        var stat = Enumerable.Range(0, s.Rank).Select(a => a == 1 ? s[1] : 1).ToArray();
        return (axes, stat);
    }

    private static void AssertClose(string what, Tensor expected, Tensor actual, double tol = 1e-10)
    {
        Assert.True(expected.Shape == actual.Shape, $"{what}: shape {actual.Shape}, expected {expected.Shape}");
        for (int i = 0; i < expected.Size; i++)
            Assert.True(Math.Abs(expected.At(i) - actual.At(i)) <= tol * (1 + Math.Abs(expected.At(i))), $"{what}: element {i} is {actual.At(i)}, expected {expected.At(i)}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BatchNorm_Fused_EqualsCompositeForwardAndBackward(int[] shape, bool weight, bool bias, bool training)
    {
        var k = Make(shape, weight, bias);
        var (y, pullback) = Diff.Vjp(xs => Fused(k, xs, training), Inputs(k));
        var (yRef, pullbackRef) = Diff.Vjp(xs => Composite(k, xs, training), Inputs(k));
        AssertClose("output", yRef.Value, y.Value);
        var (gs, gsRef) = (pullback(k.G), pullbackRef(k.G));
        for (int i = 0; i < gs.Length; i++) AssertClose($"cotangent of input {i}", gsRef[i].Value, gs[i].Value);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BatchNorm_RecordedBackward_EqualsFusedBackward(int[] shape, bool weight, bool bias, bool training)
    {
        // Inside an outer differentiation the pullback sees recorded Vars and writes its formula with ops.
        var k = Make(shape, weight, bias);
        var inputs = Inputs(k);
        var (_, pullback) = Diff.Vjp(xs => Fused(k, xs, training), inputs);
        var fused = pullback(k.G);
        for (int i = 0; i < inputs.Length; i++)
        {
            int j = i;
            var (recorded, _) = Diff.Vjp(xs => Diff.Vjp(ys => Fused(k, ys, training), [.. xs]).Pullback(k.G)[j], inputs);
            AssertClose($"cotangent of input {i}", fused[i].Value, recorded.Value);
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BatchNorm_Training_RunningStatisticsUseUnbiasedVariance(int[] shape, bool weight, bool bias, bool training)
    {
        var k = Make(shape, weight, bias);
        var (w, b) = Affine(k, Inputs(k));
        var r = Op.BatchNorm(k.X, w, b, k.RunningMean, k.RunningVar, training, Momentum, Eps);
        if (!training)
        {
            Assert.Same(k.RunningMean, r.RunningMean);
            Assert.Same(k.RunningVar, r.RunningVar);
            return;
        }
        var (axes, _) = Axes(k.X.Shape);
        int m = k.X.Size / shape[1];
        var mean = Op.Mean(k.X, axes);
        var xc = (Var)k.X - Op.Mean(k.X, axes, keepDims: true);
        var unbiased = Op.Sum(xc * xc, axes) * (1.0 / (m - 1));
        AssertClose("running mean", ((Var)k.RunningMean * (1 - Momentum) + mean * Momentum).Value, r.RunningMean!, 1e-12);
        AssertClose("running var", ((Var)k.RunningVar * (1 - Momentum) + unbiased * Momentum).Value, r.RunningVar!, 1e-12);
    }

    [Fact]
    public void BatchNorm_Float32WithLargeMean_MatchesFloat64()
    {
        // 1000 + N(0, 1): float32 sums of the raw values would lose the variance; the statistics must not.
        var x64 = Tensor.RandomNormal(Rng.Seed(5), [16, 3, 40], 1000, 1, DType.Float32).Cast(DType.Float64);
        var x32 = x64.Cast(DType.Float32);
        Tensor rm = Tensor.Zeros([3]), rv = Tensor.Ones([3]);
        var r32 = Op.BatchNorm(x32, null, null, rm, rv, training: true);
        var r64 = Op.BatchNorm(x64, null, null, rm.Cast(DType.Float64), rv.Cast(DType.Float64), training: true);
        AssertClose("output", r64.Output.Value, r32.Output.Value, 2e-4);
        AssertClose("running mean", r64.RunningMean!, r32.RunningMean!, 1e-6);
        AssertClose("running var", r64.RunningVar!, r32.RunningVar!, 1e-5);
        var g = Tensor.RandomNormal(Rng.Seed(6), [16, 3, 40]);
        var gx32 = Diff.Vjp(v => Op.BatchNorm(v, null, null, null, null, training: true).Output, x32).Pullback(g).Value;
        var gx64 = Diff.Vjp(v => Op.BatchNorm(v, null, null, null, null, training: true).Output, x64).Pullback(g.Cast(DType.Float64)).Value;
        AssertClose("cotangent of x", gx64, gx32, 2e-4);
    }
}
