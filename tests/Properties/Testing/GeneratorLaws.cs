using Cnn.Autodiff;
using Cnn.Testing;

namespace Cnn.Properties.Testing;

/// <summary>The generators of Cnn.Testing produce consistent cases and shrink toward small ones.</summary>
public class GeneratorLaws
{
    private static LawResult Holds(bool ok, string what) => LawResult.Of(ok, "generator", what, "does not hold");

    [Fact]
    public void Conv2d_GeneratedCases_RunWithThePredictedOutputShape() =>
        Laws.Check(Gens.Conv2d(), c =>
        {
            var xs = TensorValues.Normal.Inputs([c.InputShape, c.WeightShape, c.BiasShape], c.Seed);
            var y = Op.Conv2d(xs[0], xs[1], xs[2], c.Options);
            return Holds(y.Shape == c.OutputShape && c.OutputShape[2] >= 1 && c.OutputShape[3] >= 1 && c.InChannels % c.Options.Groups == 0 && c.OutChannels % c.Options.Groups == 0, $"conv2d shape {c}");
        }, maxTest: 100);

    [Fact]
    public void Pool2d_GeneratedCases_MaxPoolIsFiniteWithThePredictedShape() =>
        Laws.Check(Gens.Pool2d(new Pool2dBounds(MaxDilation: 2)), p =>
        {
            var y = Op.MaxPool2d(TensorValues.Normal.Sample(p.InputShape, DType.Float64, Rng.Seed(p.Seed)), p.Kernel, p.Stride, p.Padding, p.Dilation).Value;
            bool finite = Enumerable.Range(0, y.Size).All(i => double.IsFinite(y.At(i)));
            return Holds(y.Shape == p.OutputShape && finite && p.Padding.H <= p.Kernel.H / 2 && p.Padding.W <= p.Kernel.W / 2, $"pool {p}");
        }, maxTest: 100);

    [Fact]
    public void TensorValues_AwayFromZero_EveryValueBeyondTheMargin() =>
        Laws.Check(Gens.Tensor(Gens.Shape(), DType.Float32, TensorValues.AwayFromZero(0.25)), t =>
            Holds(Enumerable.Range(0, t.Size).All(i => Math.Abs(t.At(i)) >= 0.25f), "margin"));

    [Fact]
    public void TensorValues_Untied_ValuesDistinctAndSpaced() =>
        Laws.Check(Gens.Tensor(Gens.Shape(), DType.Float64, TensorValues.Untied(0.5)), t =>
        {
            var v = t.ToDoubleArray().Order().ToArray();
            bool spaced = v.Zip(v.Skip(1)).All(p => p.Second - p.First >= 0.5 - 1e-12);
            return Holds(spaced && v.All(x => Math.Abs(x) >= 0.25), "distinct");
        });

    [Fact]
    public void Generate_SameSeed_SameCase() =>
        Assert.Equal(Gens.Conv2d().Generate(7).Value, Gens.Conv2d().Generate(7).Value);

    [Fact]
    public void Check_PassingLaw_RunsMaxTestCases()
    {
        int runs = 0;
        Laws.Check(Gens.Shape(), s => { runs++; return Holds(true, "count"); }, maxTest: 37);
        Assert.Equal(37, runs);
    }

    [Fact]
    public void Check_FailsOnLargeShapes_ShrinksToALocallySmallestShape()
    {
        var e = Assert.Throws<LawException>(() => Laws.Check(Gens.Shape(1, 4, 1, 6), s => Holds(s.Size < 6, $"size of {s}")));
        var s = Assert.IsType<Shape>(e.Case);
        Assert.InRange(s.Size, 6, 8);
        // no single dimension can be lowered and still fail
        for (int a = 0; a < s.Rank; a++) Assert.True(s.Size / s[a] * (s[a] - 1) < 6, $"{s} is not locally smallest");
    }

    [Fact]
    public void Shrink_Candidates_AreStrictlyCheaper()
    {
        var gen = Gens.Conv2d();
        var sample = gen.Generate(123);
        Assert.All(gen.Shrink(sample), s => Assert.True(s.Cost < sample.Cost));
    }
}
