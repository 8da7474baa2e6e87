using Cnn.Autodiff;

namespace Cnn.Unit.Engine;

public class AnomalyTests
{
    private static readonly DiffOptions Detect = new(DetectAnomalies: true);

    [Fact]
    public void Forward_LogOfNegative_NamesOpPositionAndShapes()
    {
        var x = Tensor.FromArray(new[] { 1.0, -1.0, 2.0 });
        var ex = Assert.Throws<AnomalyException>(() => Diff.ValueAndGrad(v => Op.Sum(Op.Log(v * 2.0)), x, Detect));
        Assert.Equal(AnomalyPhase.Forward, ex.Phase);
        Assert.Equal("log", ex.Op);
        Assert.Equal(2, ex.TapePosition); // %0 input, %1 mul, %2 log
        Assert.Contains("NaN at flat element 1 of f64[3]", ex.Message);
        Assert.Contains("f64[3]", ex.Message);
    }

    [Fact]
    public void Backward_SqrtAtZero_IsFoundInThePullback()
    {
        // sqrt(0) = 0 is finite, but its derivative 1/(2 sqrt 0) is infinite
        var x = Tensor.FromArray(new[] { 0.0, 4.0 });
        var ex = Assert.Throws<AnomalyException>(() => Diff.ValueAndGrad(v => Op.Sum(Op.Sqrt(v)), x, Detect));
        Assert.Equal(AnomalyPhase.Backward, ex.Phase);
        Assert.Equal("sqrt", ex.Op);
        Assert.Contains("+infinity at flat element 0", ex.Message);
    }

    [Fact]
    public void WithoutDetection_SameFunction_ReturnsNonFiniteGradientSilently()
    {
        var (_, g) = Diff.ValueAndGrad(v => Op.Sum(Op.Sqrt(v)), Tensor.FromArray(new[] { 0.0, 4.0 }));
        Assert.True(double.IsInfinity(g.Value.At(0)));
    }

    [Fact]
    public void Detection_FiniteRun_GivesSameResultAsWithout()
    {
        var x = Tensor.FromArray(new[] { 1.0, 2.0, 3.0 });
        Func<Var, Var> f = v => Op.Sum(Op.Exp(v) * v);
        var (a, ga) = Diff.ValueAndGrad(f, x, Detect);
        var (b, gb) = Diff.ValueAndGrad(f, x);
        Assert.Equal(b.Value.ToScalar(), a.Value.ToScalar());
        Assert.Equal(gb.Value.ToDoubleArray(), ga.Value.ToDoubleArray());
    }

    [Fact]
    public void Detection_ParamTreeOverload_Works()
    {
        var p = ParamTree.Of(("w", Tensor.FromArray(new[] { -1.0 })));
        var ex = Assert.Throws<AnomalyException>(() => Diff.ValueAndGrad(q => Op.Sum(Op.Log(q["w"])), p, Detect));
        Assert.Equal("log", ex.Op);
    }
}
