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

    // Output size (H-1)s - 2p + d(k-1) + outputPadding + 1 >= 1 because 2p <= d(k-1); output padding below the stride or the dilation.
    private static readonly CaseGen<LayerCase> ConvTranspose2dCases =
        from groups in Gens.Int(1, 2)
        from cinPerGroup in Gens.Int(1, 2)
        from coutPerGroup in Gens.Int(1, 2)
        from k in Gens.Int(1, 3)
        from stride in Gens.Int(1, 3)
        from dilation in Gens.Int(1, 2)
        from padding in Gens.Int(0, dilation * (k - 1) / 2)
        from outputPadding in Gens.Int(0, Math.Max(stride, dilation) - 1)
        from noBias in Gens.Bool
        from s in Gens.Shape(2, 2, 1, 3)
        from n in Gens.Int(1, 2)
        from seed in Gens.Seed
        select new LayerCase(new ConvTranspose2d(groups * cinPerGroup, groups * coutPerGroup, k, stride, padding, outputPadding, groups, !noBias, dilation),
            [n, groups * cinPerGroup, s[0], s[1]], seed);

    private static CaseGen<LayerCase> AvgPoolCases(Pool2dBounds bounds) =>
        from p in Gens.Pool2d(bounds with { Square = true })
        from excludePad in Gens.Bool
        select new LayerCase(new AvgPool2d(p.Kernel.H, p.Stride.H, p.Padding.H, !excludePad), p.InputShape, p.Seed);

    // Output sizes up to one more than the input's: PyTorch's windows then overlap.
    private static readonly CaseGen<LayerCase> AdaptiveAvgPoolCases =
        from s in Gens.Shape(4, 4, 1, 4)
        from oh in Gens.Int(1, s[2] + 1)
        from ow in Gens.Int(1, s[3] + 1)
        from seed in Gens.Seed
        select new LayerCase(new AdaptiveAvgPool2d(oh, ow), s, seed);

    private static readonly CaseGen<LayerCase> GlobalAvgPoolCases =
        from s in Gens.Shape(4, 4, 1, 4)
        from seed in Gens.Seed
        select new LayerCase(new GlobalAvgPool(), s, seed);

    // Training normalises by batch statistics, which needs at least 2 values per channel; with exactly 2 the
    // gradient law's central differences are ill-conditioned (see NormLaws.BatchShape), so at least 3.
    private static readonly CaseGen<LayerCase> BatchNormCases =
        from s in Gens.Shape(4, 4, 1, 3).Where(s => s[0] * s[2] * s[3] >= 3)
        from momentum in Gens.Element(0.1, 0.5, 1.0)
        from seed in Gens.Seed
        select new LayerCase(new BatchNorm2d(s[1], Momentum: momentum), s, seed);

    // A pointwise layer on [N, C, H, W] (so the translation law applies too).
    private static CaseGen<LayerCase> PointwiseCases(CaseGen<ILayer> layers, TensorValues? values = null) =>
        from layer in layers
        from s in Gens.Shape(4, 4, 1, 4)
        from seed in Gens.Seed
        select new LayerCase(layer, s, seed, values);

    // A per-channel scale with a parameter, and a parameterless function whose shape comes from a forward pass.
    private static readonly CaseGen<LayerCase> LambdaCases =
        from s in Gens.Shape(4, 4, 1, 4)
        from withScale in Gens.Bool
        from seed in Gens.Seed
        select new LayerCase(withScale
            ? new Lambda((p, x, _) => x * p["scale"], shape => shape, rng => ParamTree.Of(("scale", Tensor.RandomNormal(rng, [s[1], 1, 1]))))
            : Layer.From(x => Op.Tanh(x) * 2), s, seed);

    // Batch of 2 and at least 3x3, so every batch norm in training sees at least 8 values per channel even after a
    // stride of 2 (with 2 values per channel batch norm maps both to about +-1 and its Jacobian is ill-conditioned).
    private static CaseGen<LayerCase> BlockCases(Func<int, int, int, ILayer> block, int minSize = 3, int maxSize = 5, TensorValues? values = null) =>
        from cin in Gens.Int(1, 3)
        from cout in Gens.Int(1, 3)
        from stride in Gens.Int(1, 2)
        from s in Gens.Shape(2, 2, minSize, maxSize)
        from seed in Gens.Seed
        select new LayerCase(block(cin, cout, stride), [2, cin, s[0], s[1]], seed, values);

    // A network with fixed settings on a few batch sizes (and seeds).
    private static CaseGen<LayerCase> NetworkCases(ILayer net, int channels, int size, int minBatch = 1) =>
        from n in Gens.Int(minBatch, 2)
        from seed in Gens.Seed
        select new LayerCase(net, [n, channels, size, size], seed);

    /// <summary>
    /// One entry of the suite: a name, the cases, the laws the layer must obey, how many cases each law gets, and
    /// whether it is deep (many ReLU and max-pool inputs, or batch norm, whose higher derivatives are large), which
    /// takes the <see cref="DeepGradient"/> and <see cref="DeepSecondOrder"/> check options instead of the float64 defaults.
    /// </summary>
    public sealed record Entry(string Name, CaseGen<LayerCase> Cases, LayerLaw Laws, int MaxTest = 15, bool Deep = false);

    /// <summary>
    /// A central difference with the default step 1e-6, along a direction through every parameter of a network
    /// with thousands of ReLU and max-pool inputs, crosses some kink often enough to fail a correct gradient.
    /// Step 1e-8 makes that 100 times rarer; float64 rounding (about 1e-16 |f| / h) stays far below the tolerance.
    /// </summary>
    public static readonly GradCheckOptions DeepGradient = new(Step: 1e-8, Tolerance: 1e-6, Floor: 1e-3);

    /// <summary>
    /// The second-order check differences gradients, which jump at every ReLU kink, so the step is as small as for
    /// <see cref="DeepGradient"/> (1e-8); its rounding is larger, and batch norm over few values has large higher
    /// derivatives: tolerance 1e-4 and errors measured absolutely below 0.1 (seen: a conv bias before batch norm,
    /// whose true gradient is 0, differenced as a few 1e-8; a bottleneck 1e-6 off). A wrong second-order pullback
    /// gives errors of order 1.
    /// </summary>
    public static readonly GradCheckOptions DeepSecondOrder = new(Step: 1e-8, Tolerance: 1e-4, Floor: 0.1);

    /// <summary>A deep layer's law with <paramref name="options"/>, checked again at a hundred times the step when it fails.</summary>
    /// <remarks>
    /// NOTE: the gradient check already differences a failing input again at a tenth of the step, for a kink the step
    /// crossed (seen: a bottleneck's conv3.weight 0.2 % off at step 1e-8 in the second-order law, exact at 1e-9). The
    /// small step of these laws has the opposite risk: where a directional derivative is tiny next to the output,
    /// rounding through many batch-norm layers exceeds the noise estimate (seen: a narrow ResNet-18's input direction,
    /// -3.17e-4, off by 3e-7 at step 1e-8 and 4e-6 at 1e-9, exact at 1e-6), and a larger step divides it. Each was one
    /// case in several hundred; a wrong pullback fails at every step.
    /// </remarks>
    private static LawResult AtALargerStepOnFailure(Func<GradCheckOptions, LawResult> law, GradCheckOptions options)
    {
        var first = law(options);
        return first.Passed ? first : law(options with { Step = options.Step * 100 }) is { Passed: true } larger ? larger : first;
    }

    // The first-order laws only, for the big fixed-size networks: their layers' second-order laws are checked above,
    // and one second-order check of a 400k-parameter network costs seconds.
    private const LayerLaw FirstOrder = LayerLaw.Standard & ~LayerLaw.SecondOrder;

    // No gradient law either: CifarTwoConv is FashionLeNet's layers at 5 times the parameters (9 s per case).
    private const LayerLaw ShapesAndDeterminism = LayerLaw.OutputShape | LayerLaw.Determinism | LayerLaw.BatchConsistency;

    /// <summary>The suite. Adding a layer is one line.</summary>
    /// <remarks>
    /// Laws run the forward pass in training mode for gradients (batch statistics, a fixed dropout mask) and in
    /// evaluation mode for batch consistency and translation (running statistics, no dropout), so both apply to
    /// batch norm and dropout. Translation equivariance is only listed for layers with stride 1 and no padding of their own.
    /// </remarks>
    public static readonly IReadOnlyList<Entry> Layers =
    [
        new("Conv2d", Conv2dCases, LayerLaw.Standard),
        new("Conv2d valid stride 1", ValidConv2dCases, LayerLaw.All),
        new("ConvTranspose2d", ConvTranspose2dCases, LayerLaw.Standard),
        new("Linear", LinearCases, LayerLaw.Standard),
        new("MaxPool2d", MaxPoolCases(new Pool2dBounds(MaxDilation: 2)), LayerLaw.Standard),
        new("MaxPool2d stride 1", MaxPoolCases(new Pool2dBounds(MaxStride: 1, MaxDilation: 2)).Where(c => ((MaxPool2d)c.Layer).Padding == 0), LayerLaw.All),
        new("AvgPool2d", AvgPoolCases(new Pool2dBounds()), LayerLaw.Standard),
        new("AvgPool2d stride 1", AvgPoolCases(new Pool2dBounds(MaxStride: 1)).Where(c => ((AvgPool2d)c.Layer).Padding == 0), LayerLaw.All),
        new("AdaptiveAvgPool2d", AdaptiveAvgPoolCases, LayerLaw.Standard),
        new("GlobalAvgPool", GlobalAvgPoolCases, LayerLaw.Standard),
        new("BatchNorm2d", BatchNormCases, LayerLaw.Standard, Deep: true),
        new("Dropout", PointwiseCases(Gens.Element<ILayer>(new Dropout(0), new Dropout(0.3), new Dropout(0.5))), LayerLaw.All),
        new("ReLU", PointwiseCases(Gens.Constant<ILayer>(new ReLU()), TensorValues.AwayFromZero()), LayerLaw.All),
        new("LeakyReLU", PointwiseCases(Gens.Element<ILayer>(new LeakyReLU(), new LeakyReLU(0.2), new LeakyReLU(-0.5)), TensorValues.AwayFromZero()), LayerLaw.All),
        new("Sigmoid", PointwiseCases(Gens.Constant<ILayer>(new Sigmoid())), LayerLaw.All),
        new("Tanh", PointwiseCases(Gens.Constant<ILayer>(new Tanh())), LayerLaw.All),
        new("Lambda", LambdaCases, LayerLaw.All),
        new("Flatten", FlattenCases, LayerLaw.Standard),
        new("Sequential small CNN", SequentialCases, LayerLaw.Standard),
        new("Sequential valid convs", ValidSequentialCases, LayerLaw.All),
        new("ConvBlock", BlockCases((cin, cout, stride) => new ConvBlock(cin, cout, 3, stride)), LayerLaw.Standard, 8, Deep: true),
        new("ConvBlock 1x1", BlockCases((cin, cout, stride) => new ConvBlock(cin, cout, 1, stride)), LayerLaw.Standard, 8, Deep: true),
        new("BasicBlock identity", BlockCases((c, _, _) => new BasicBlock(c, c)), LayerLaw.Standard, 8, Deep: true),
        new("BasicBlock projection", BlockCases((cin, cout, stride) => new BasicBlock(cin, cout + cin, stride)), LayerLaw.Standard, 8, Deep: true),
        new("Bottleneck identity", BlockCases((_, planes, _) => new Bottleneck(4 * planes, planes)).Select(c => c with { Input = c.Input.With(1, ((Bottleneck)c.Layer).InChannels) }), LayerLaw.Standard, 6, Deep: true),
        new("Bottleneck projection", BlockCases((cin, planes, stride) => new Bottleneck(cin, planes, stride)), LayerLaw.Standard, 6, Deep: true),
        new("DepthwiseSeparableConv", BlockCases((cin, cout, stride) => new DepthwiseSeparableConv(cin, cout, stride)), LayerLaw.Standard, 8, Deep: true),
        new("DoubleConv", BlockCases((cin, cout, _) => new DoubleConv(cin, cout)), LayerLaw.Standard, 8, Deep: true),
        new("UNetDown", BlockCases((cin, cout, _) => new UNetDown(cin, cout), 4, 6, TensorValues.Untied()), LayerLaw.Standard, 6, Deep: true),
        new("LeNet5", NetworkCases(new LeNet5(), 1, 28), FirstOrder, 3, Deep: true),
        new("FashionLeNet", NetworkCases(new FashionLeNet(), 1, 28), FirstOrder, 2, Deep: true),
        new("CifarTwoConv", NetworkCases(new CifarTwoConv(), 3, 32), ShapesAndDeterminism, 2),
        new("FourConvBlockNet narrow", NetworkCases(new FourConvBlockNet(1, 3, Width: 2), 1, 16, minBatch: 2), LayerLaw.Standard, 3, Deep: true),
        new("VggStyle narrow", NetworkCases(new VggStyle([4, VggStyle.M, 8, VggStyle.M], InChannels: 1, NumClasses: 3, InputSize: 8), 1, 8, minBatch: 2), LayerLaw.Standard, 3, Deep: true),
        new("MobileNetStyle narrow", NetworkCases(new MobileNetStyle([(4, 1), (8, 2)], InChannels: 2, NumClasses: 3, Stem: 4), 2, 8, minBatch: 2), LayerLaw.Standard, 3, Deep: true),
        new("ResNet18Cifar narrow", NetworkCases(new ResNet18Cifar(NumClasses: 3, InChannels: 2, Width: 2), 2, 16, minBatch: 2), LayerLaw.Standard, 2, Deep: true),
        new("UNetSmall narrow", NetworkCases(new UNetSmall(1, 2, Base: 2, Depth: 2), 1, 8, minBatch: 2), LayerLaw.Standard, 2, Deep: true),
    ];

    public static TheoryData<string, LayerLaw> Rows()
    {
        var rows = new TheoryData<string, LayerLaw>();
        foreach (var entry in Layers)
            foreach (var law in Enum.GetValues<LayerLaw>())
                if (law is not (LayerLaw.Standard or LayerLaw.All) && entry.Laws.HasFlag(law)) rows.Add(entry.Name, law);
        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public void Layer_GeneratedCases_ObeysLaw(string layer, LayerLaw law)
    {
        var entry = Layers.Single(l => l.Name == layer);
        Laws.Check(entry.Cases, c => law switch
        {
            LayerLaw.Gradient => entry.Deep ? AtALargerStepOnFailure(o => Laws.LayerGradient(c, options: o), DeepGradient) : Laws.LayerGradient(c),
            LayerLaw.SecondOrder => entry.Deep ? AtALargerStepOnFailure(o => Laws.LayerSecondOrder(c, options: o), DeepSecondOrder) : Laws.LayerSecondOrder(c),
            _ => Laws.Layer(law, c),
        }, maxTest: law == LayerLaw.SecondOrder ? Math.Min(8, entry.MaxTest) : entry.MaxTest);
    }

    [Fact]
    public void CheckLayer_Linear_AllStandardLawsPass() => Laws.CheckLayer(LinearCases, maxTest: 5);

    [Fact]
    public void LayerGradient_Float32Conv2d_PassesWithFloat32Tolerances() =>
        Laws.Check(Conv2dCases, c => Laws.LayerGradient(c, DType.Float32), maxTest: 10);
}
