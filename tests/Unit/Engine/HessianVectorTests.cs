using Cnn.Autodiff;

namespace Cnn.Unit.Engine;

/// <summary>
/// Gradients of gradients through a whole small CNN: the Hessian-vector product obtained by
/// differentiating the recorded backward pass equals central differences of the gradient.
/// </summary>
public class HessianVectorTests
{
    private static readonly int[] Labels = [2, 0, 1];

    // conv 1->3 k3 p1, relu, max pool 2, linear 3*3*3 -> 3, cross-entropy; float64.
    private static Var Loss(IReadOnlyList<Var> p, Tensor x)
    {
        var h = Op.MaxPool2d(Op.Relu(Op.Conv2d(x, p[0], p[1], padding: 1)), 2);
        return Op.CrossEntropy(Op.Linear(Op.Flatten(h), p[2], p[3]), Labels);
    }

    [Fact]
    public void HessianVectorProduct_SmallCnn_MatchesFiniteDifferencesOfGradient()
    {
        var keys = Rng.Seed(11).Split(10);
        var x = Tensor.RandomNormal(keys[0], [3, 1, 6, 6], dtype: DType.Float64);
        Shape[] shapes = [[3, 1, 3, 3], [3], [3, 27], [3]];
        var p = shapes.Select((s, i) => Tensor.RandomNormal(keys[1 + i], s, std: 0.5, dtype: DType.Float64)).ToArray();
        var v = shapes.Select((s, i) => Tensor.RandomNormal(keys[5 + i], s, dtype: DType.Float64)).ToArray();

        // Hv = grad_p <grad_p L(p), v>, the inner gradient recorded so that it can be differentiated.
        var (_, hv) = Diff.ValueAndGrad(ps =>
        {
            var (_, g) = Diff.ValueAndGrad(qs => Loss(qs, x), ps.ToArray());
            Var dot = Op.Sum(g[0] * v[0]);
            for (int i = 1; i < g.Length; i++) dot = dot + Op.Sum(g[i] * v[i]);
            return dot;
        }, p.Select(t => new Var(t)).ToArray());

        // (grad L(p + h v) - grad L(p - h v)) / 2h
        const double h = 1e-5;
        Tensor[] Shift(double s) => p.Select((t, i) => Tensor.Generate(t.Shape, DType.Float64, k => t.At(k) + s * v[i].At(k))).ToArray();
        var gPlus = Diff.ValueAndGrad(qs => Loss(qs, x), Shift(h).Select(t => new Var(t)).ToArray()).Grads;
        var gMinus = Diff.ValueAndGrad(qs => Loss(qs, x), Shift(-h).Select(t => new Var(t)).ToArray()).Grads;

        double maxHv = hv.Max(t => t.Value.ToDoubleArray().Max(Math.Abs));
        Assert.True(maxHv > 1e-3, "the Hessian-vector product should not vanish for this network");
        for (int i = 0; i < p.Length; i++)
            for (int k = 0; k < p[i].Size; k++)
            {
                double fd = (gPlus[i].Value.At(k) - gMinus[i].Value.At(k)) / (2 * h);
                Assert.True(Math.Abs(fd - hv[i].Value.At(k)) <= 1e-6 * Math.Max(1, maxHv),
                    $"parameter {i} element {k}: Hv {hv[i].Value.At(k)}, finite differences {fd}");
            }
    }
}
