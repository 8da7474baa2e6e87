using Cnn.Autodiff;

namespace Cnn.Unit.Ops;

/// <summary>
/// An operand that is a constant when an op is recorded (a first layer's images, a frozen weight) gets no
/// cotangent, so the expensive ops do not compute one. Seen on the tape of a recorded backward pass
/// (a gradient taken inside another differentiation records the ops its pullbacks run).
/// </summary>
public class ConstantInputGradientTests
{
    private static readonly Rng[] Keys = Rng.Seed(5).Split(4);

    // The ops the backward pass of f ran, as recorded when its gradient is taken inside an outer differentiation.
    private static List<string> BackwardOps(Func<Var, Var, Var> loss, Tensor x, Tensor w, bool xIsInput)
    {
        var trace = Diff.Trace(outer =>
        {
            var grads = xIsInput
                ? Diff.ValueAndGrad(p => loss(p[0], p[1]), outer[0], outer[1]).Grads
                : Diff.ValueAndGrad(p => loss(x, p[0]), outer[1]).Grads;
            return Op.Sum(grads[^1]);
        }, x, w);
        return trace.Entries.Select(e => e.Op).ToList();
    }

    [Fact]
    public void Conv2d_ConstantImages_SkipTheInputGradient_AndKeepTheWeightGradient()
    {
        var x = Tensor.RandomNormal(Keys[0], [2, 3, 6, 6], dtype: DType.Float64);
        var w = Tensor.RandomNormal(Keys[1], [4, 3, 3, 3], dtype: DType.Float64);
        Var Loss(Var xv, Var wv) => Op.Sum(Op.Square(Op.Conv2d(xv, wv, padding: 1)));

        Assert.DoesNotContain("conv_transpose2d", BackwardOps(Loss, x, w, xIsInput: false));
        Assert.Contains("conv_transpose2d", BackwardOps(Loss, x, w, xIsInput: true));

        var both = Diff.ValueAndGrad(p => Loss(p[0], p[1]), x, w).Grads[1].Value;
        var weightOnly = Diff.Grad(wv => Loss(x, wv))(w).Value;
        Assert.Equal(both.ToDoubleArray(), weightOnly.ToDoubleArray());
    }

    [Fact]
    public void MatMul_ConstantOperand_GetsNoProduct_AndTheOtherGradientIsUnchanged()
    {
        var a = Tensor.RandomNormal(Keys[2], [3, 5], dtype: DType.Float64);
        var b = Tensor.RandomNormal(Keys[3], [5, 4], dtype: DType.Float64);
        Var Loss(Var av, Var bv) => Op.Sum(Op.Square(Op.MatMul(av, bv)));

        // Backward of one matmul: one product per operand that needs a cotangent.
        Assert.Equal(1, BackwardOps(Loss, a, b, xIsInput: false).Count(op => op == "matmul") - 1);
        Assert.Equal(2, BackwardOps(Loss, a, b, xIsInput: true).Count(op => op == "matmul") - 1);

        var both = Diff.ValueAndGrad(p => Loss(p[0], p[1]), a, b).Grads[1].Value;
        var bOnly = Diff.Grad(bv => Loss(a, bv))(b).Value;
        Assert.Equal(both.ToDoubleArray(), bOnly.ToDoubleArray());
    }
}
