using Cnn.Autodiff;

namespace Cnn.Unit.Engine;

public class DiffTests
{
    private static Tensor T(params double[] v) => Tensor.FromArray(v);

    [Fact]
    public void Grad_Square_IsTwoX()
    {
        var g = Diff.Grad(x => Op.Sum(x * x))(T(1, -2, 3));
        Assert.Equal([2.0, -4.0, 6.0], g.Value.ToDoubleArray());
        Assert.False(g.IsRecorded);
    }

    [Fact]
    public void ValueAndGrad_SeveralInputs_ReturnsOneGradientPerInput()
    {
        var (v, gs) = Diff.ValueAndGrad(xs => Op.Sum(xs[0] * xs[1]), T(1, 2), T(3, 4));
        Assert.Equal(11.0, v.Value.ToScalar());
        Assert.Equal([3.0, 4.0], gs[0].Value.ToDoubleArray());
        Assert.Equal([1.0, 2.0], gs[1].Value.ToDoubleArray());
    }

    [Fact]
    public void ValueAndGrad_ParamTree_ReturnsTreeOfSamePaths()
    {
        var p = ParamTree.Of(("layer", ParamTree.Of(("w", T(2.0)), ("b", T(1.0)))), ("scale", T(3.0)));
        var (v, g) = Diff.ValueAndGrad(q => Op.Sum((q["layer.w"] * 5.0 + q["layer.b"]) * q["scale"]), p);
        Assert.Equal(33.0, v.ToScalar());
        Assert.Equal(["layer.w", "layer.b", "scale"], g.Paths);
        Assert.Equal(15.0, g["layer.w"].ToScalar());
        Assert.Equal(3.0, g["layer.b"].ToScalar());
        Assert.Equal(11.0, g["scale"].ToScalar());
    }

    [Fact]
    public void Grad_InputNotUsed_IsZeros()
    {
        var (_, gs) = Diff.ValueAndGrad(xs => Op.Sum(xs[0]), T(1, 2), T(3, 4, 5));
        Assert.Equal([0.0, 0.0, 0.0], gs[1].Value.ToDoubleArray());
    }

    [Fact]
    public void Grad_SameInputUsedTwice_AccumulatesCotangents()
    {
        var g = Diff.Grad(x => Op.Sum(x * x + x))(T(2.0));
        Assert.Equal(5.0, g.Value.ToScalar());
    }

    [Fact]
    public void Grad_NonScalarOutput_ThrowsNamingTheShapeAndVjp()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Diff.Grad(x => x * 2.0)(T(1, 2)));
        Assert.Contains("[2]", ex.Message);
        Assert.Contains("Vjp", ex.Message);
    }

    [Fact]
    public void Vjp_NonScalarOutput_UsesGivenCotangent()
    {
        var (y, pb) = Diff.Vjp(x => x * x, T(1, 2, 3));
        Assert.Equal([1.0, 4.0, 9.0], y.Value.ToDoubleArray());
        Assert.Equal([2.0, 0.0, 60.0], pb(T(1, 0, 10)).Value.ToDoubleArray());
    }

    [Fact]
    public void Vjp_CotangentOfWrongShape_Throws()
    {
        var (_, pb) = Diff.Vjp(x => x * x, T(1, 2, 3));
        var ex = Assert.Throws<ArgumentException>(() => pb(T(1, 2)));
        Assert.Contains("[3]", ex.Message);
    }

    [Fact]
    public void StopGradient_BlocksCotangent()
    {
        var g = Diff.Grad(x => Op.Sum(x * Op.StopGradient(x)))(T(3.0));
        Assert.Equal(3.0, g.Value.ToScalar());
    }

    [Fact]
    public void Grad_OfGrad_IsSecondDerivative()
    {
        // f(x) = x^3; f'' = 6x
        Func<Var, Var> f = x => Op.Sum(x * x * x);
        var second = Diff.Grad(x => Op.Sum(Diff.Grad(f)(x)))(T(2.0, -1.0));
        Assert.Equal([12.0, -6.0], second.Value.ToDoubleArray());
    }

    [Fact]
    public void Grad_ThirdOrder_Works()
    {
        // d^3/dx^3 x^4 = 24x
        Func<Var, Var> f = x => Op.Sum(x * x * x * x);
        Func<Var, Var> d1 = x => Op.Sum(Diff.Grad(f)(x));
        Func<Var, Var> d2 = x => Op.Sum(Diff.Grad(d1)(x));
        Assert.Equal(48.0, Diff.Grad(d2)(T(2.0)).Value.ToScalar(), 12);
    }

    [Fact]
    public void Grad_CapturedOuterValue_IsConstantForInnerDifferentiation()
    {
        // d/dx [ x * d/dy (x + y) ] = d/dx [ x * 1 ] = 1 (no perturbation confusion)
        var g = Diff.Grad(x => Op.Sum(x * Diff.Grad(y => Op.Sum(x + y))(x)))(T(5.0));
        Assert.Equal(1.0, g.Value.ToScalar());
    }

    [Fact]
    public void Backward_ChainOfTenThousandOps_DoesNotOverflowTheStack()
    {
        var g = Diff.Grad(x =>
        {
            var y = x;
            for (int i = 0; i < 10_000; i++) y = y * 1.0001;
            return Op.Sum(y);
        })(T(1.0));
        Assert.Equal(Math.Pow(1.0001, 10_000), g.Value.ToScalar(), 6);
    }

    [Fact]
    public void OpsOnConstants_RecordNothing()
    {
        var y = Op.Sum(new Var(T(1, 2)) * 3.0);
        Assert.False(y.IsRecorded);
        Assert.Equal(9.0, y.Value.ToScalar());
    }

    [Fact]
    public void Mixing_Float32AndFloat64_IsAClearError()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Add(Tensor.Ones([2]), Tensor.Ones([2], DType.Float64)));
        Assert.Contains("Add", ex.Message);
        Assert.Contains("f32", ex.Message);
        Assert.Contains("f64", ex.Message);
    }

    [Fact]
    public void Add_IncompatibleShapes_NamesOpAndShapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => Op.Add(Tensor.Ones([2, 3]), Tensor.Ones([4])));
        Assert.Contains("Add", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("[4]", ex.Message);
    }

    [Fact]
    public void Trace_ListsOneLinePerEntry_AndExportsDot()
    {
        var trace = Diff.Trace(xs => Op.Sum(Op.Relu(xs[0] * xs[1])), Tensor.Ones([2, 3]), Tensor.Ones([3]));
        var text = trace.ToString();
        Assert.Contains("%0 = input : f32[2, 3]", text);
        Assert.Contains("%2 = mul(%0, %1) : f32[2, 3]", text);
        Assert.Contains("relu(%2)", text);
        Assert.EndsWith("return %" + trace.Output, text);
        var dot = trace.ToDot();
        Assert.StartsWith("digraph tape {", dot);
        Assert.Contains("n0 -> n2;", dot);
    }
}
