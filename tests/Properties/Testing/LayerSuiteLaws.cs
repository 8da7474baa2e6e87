using Cnn.Autodiff;
using Cnn.Layers;
using Cnn.Testing;

namespace Cnn.Properties.Testing;

/// <summary>Every built-in layer goes through the laws of Cnn.Testing: one entry per layer (and setting family) below.</summary>
public class LayerSuiteLaws
{
    private static readonly CaseGen<LayerCase> Conv2dCases =
        from c in Gens.Conv2d(new Conv2dBounds(Square: true))
        from noBias in Gens.Bool
        select new LayerCase(new Conv2d(c.InChannels, c.OutChannels, c.KernelH, c.Options.StrideH, c.Options.PadTop, c.Options.DilationH, c.Options.Groups, !noBias), c.InputShape, c.Seed);

    // Stride 1 and no padding of its own: the circular-padding equivariance law applies.
    private static readonly CaseGen<LayerCase> ValidConv2dCases =
        from c in Gens.Conv2d(new Conv2dBounds(MaxStride: 1, MaxPadding: 0, Square: true))
        select new LayerCase(new Conv2d(c.InChannels, c.OutChannels, c.KernelH, 1, 0, c.Options.DilationH, c.Options.Groups), c.InputShape, c.Seed);

    private static readonly CaseGen<LayerCase> LinearCases =
        from inF in Gens.Int(1, 4)
        from outF in Gens.Int(1, 4)
        from lead in Gens.Shape(1, 3, 1, 3)
        from noBias in Gens.Bool
        from seed in Gens.Seed
        select new LayerCase(new Linear(inF, outF, !noBias), [.. lead, inF], seed);

    private static CaseGen<LayerCase> MaxPoolCases(Pool2dBounds bounds) =>
        from p in Gens.Pool2d(bounds with { Square = true })
        select new LayerCase(new MaxPool2d(p.Kernel.H, p.Stride.H, p.Padding.H, p.Dilation.H), p.InputShape, p.Seed, TensorValues.Untied());

    private static readonly CaseGen<LayerCase> ReluCases =
        from s in Gens.Shape(4, 4, 1, 4)
        from seed in Gens.Seed
        select new LayerCase(new ReLU(), s, seed, TensorValues.AwayFromZero());

    private static readonly CaseGen<LayerCase> FlattenCases =
        from s in Gens.Shape(2, 5, 1, 3)
        from start in Gens.Int(1, s.Rank - 1)
        from end in Gens.Int(start, s.Rank - 1)
        from negative in Gens.Bool
        from seed in Gens.Seed
        select new LayerCase(new Flatten(start, negative ? end - s.Rank : end), s, seed);

    // conv 3x3 (padding 1) -> relu -> max pool 2 -> flatten -> linear: a small CNN.
    private static readonly CaseGen<LayerCase> SequentialCases =
        from n in Gens.Int(1, 3)
        from c in Gens.Int(1, 2)
        from k in Gens.Int(1, 2)
        from h in Gens.Int(2, 5)
        from w in Gens.Int(2, 5)
        from classes in Gens.Int(1, 3)
        from seed in Gens.Seed
        select new LayerCase(
            new Sequential(new Conv2d(c, k, 3, Padding: 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(k * (h / 2) * (w / 2), classes)),
            [n, c, h, w], seed);

    // conv -> relu -> conv, stride 1 and no padding: equivariant as a whole.
    private static readonly CaseGen<LayerCase> ValidSequentialCases =
        from n in Gens.Int(1, 2)
        from c in Gens.Int(1, 2)
        from h in Gens.Int(4, 6)
        from w in Gens.Int(4, 6)
        from seed in Gens.Seed
        select new LayerCase(new Sequential(new Conv2d(c, 2, 2), new ReLU(), new Conv2d(2, 1, 2, Dilation: 2)), [n, c, h, w], seed);

    /// <summary>The suite: a name, the cases, and the laws the layer must obey. Adding a layer is one line.</summary>
    public static readonly IReadOnlyList<(string Name, CaseGen<LayerCase> Cases, LayerLaw Laws)> Layers =
    [
        ("Conv2d", Conv2dCases, LayerLaw.Standard),
        ("Conv2d valid stride 1", ValidConv2dCases, LayerLaw.All),
        ("Linear", LinearCases, LayerLaw.Standard),
        ("MaxPool2d", MaxPoolCases(new Pool2dBounds(MaxDilation: 2)), LayerLaw.Standard),
        ("MaxPool2d stride 1", MaxPoolCases(new Pool2dBounds(MaxStride: 1, MaxDilation: 2)).Where(c => ((MaxPool2d)c.Layer).Padding == 0), LayerLaw.All),
        ("ReLU", ReluCases, LayerLaw.All),
        ("Flatten", FlattenCases, LayerLaw.Standard),
        ("Sequential small CNN", SequentialCases, LayerLaw.Standard),
        ("Sequential valid convs", ValidSequentialCases, LayerLaw.All),
    ];

    public static TheoryData<string, LayerLaw> Rows()
    {
        var rows = new TheoryData<string, LayerLaw>();
        foreach (var (name, _, laws) in Layers)
            foreach (var law in Enum.GetValues<LayerLaw>())
                if (law is not (LayerLaw.Standard or LayerLaw.All) && laws.HasFlag(law)) rows.Add(name, law);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Layer_GeneratedCases_ObeysLaw(string layer, LayerLaw law) =>
        Laws.Check(Layers.Single(l => l.Name == layer).Cases, c => Laws.Layer(law, c), maxTest: law == LayerLaw.SecondOrder ? 8 : 15);

    [Fact]
    public void CheckLayer_Linear_AllStandardLawsPass() => Laws.CheckLayer(LinearCases, maxTest: 5);

    [Fact]
    public void LayerGradient_Float32Conv2d_PassesWithFloat32Tolerances() =>
        Laws.Check(Conv2dCases, c => Laws.LayerGradient(c, DType.Float32), maxTest: 10);
}
