#:project ../src/Cnn.Testing/Cnn.Testing.csproj
#:property PublishAot=false
// Verifies a user-defined layer with the laws of Cnn.Testing, then shows what a failure looks like.
// The layer is a gated residual convolution: y = conv(x) * sigmoid(gate(x)) + x, built only from ops.
// Run: dotnet run examples/verify-custom-layer.cs
using System.Diagnostics;
using Cnn.Autodiff;
using Cnn.Layers;
using Cnn.Testing;

var clock = Stopwatch.StartNew();

// Generated cases: batch 1..2, channels 1..3, images 3..6 on a side; everything shrinks toward the smallest.
CaseGen<LayerCase> Cases(Func<int, ILayer> make) =>
    from n in Gens.Int(1, 2)
    from c in Gens.Int(1, 3)
    from h in Gens.Int(3, 6)
    from w in Gens.Int(3, 6)
    from seed in Gens.Seed
    select new LayerCase(make(c), [n, c, h, w], seed);

Console.WriteLine("GatedConv: y = conv(x) * sigmoid(gate(x)) + x");
foreach (var law in new[] { LayerLaw.OutputShape, LayerLaw.Gradient, LayerLaw.SecondOrder, LayerLaw.Determinism, LayerLaw.BatchConsistency })
{
    Laws.CheckLayer(Cases(c => new GatedConv(c)), law, maxTest: 20);
    Console.WriteLine($"  passed: {law} law on 20 generated cases");
}

Console.WriteLine();
Console.WriteLine("BrokenGatedConv: the same layer with a hand-written sigmoid whose pullback forgets the (1 - s) factor");
try
{
    Laws.CheckLayer(Cases(c => new BrokenGatedConv(c)), LayerLaw.Gradient, maxTest: 20);
    Console.WriteLine("  not caught (unexpected)");
    return 1;
}
catch (LawException e)
{
    Console.WriteLine(e.Message);
}
Console.WriteLine();
Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
return 0;

/// <summary>y = conv(x) * sigmoid(gate(x)) + x with two k x k convolutions that keep the size (padding k/2, odd k).</summary>
record GatedConv(int Channels, int KernelSize = 3) : Layer
{
    public override ParamTree<Tensor> Init(Rng rng)
    {
        var (a, b) = rng.Split();
        return ParamTree.Of(("conv", Conv.Init(a)), ("gate", Conv.Init(b)));
    }

    protected Conv2d Conv => new(Channels, Channels, KernelSize, Padding: KernelSize / 2);

    protected virtual Var Sigmoid(Var x) => Op.Sigmoid(x);

    public override Var Apply(ParamTree<Var> p, Var x, LayerContext ctx) =>
        Conv.Apply(p.Sub("conv"), x, ctx) * Sigmoid(Conv.Apply(p.Sub("gate"), x, ctx)) + x;

    public override Shape OutputShape(Shape input) => Conv.OutputShape(input);
}

/// <summary>The same layer with a custom sigmoid op whose pullback is g * s instead of g * s * (1 - s).</summary>
record BrokenGatedConv(int Channels, int KernelSize = 3) : GatedConv(Channels, KernelSize)
{
    protected override Var Sigmoid(Var x) =>
        Op.Custom("my_sigmoid", [x], v => Op.Sigmoid(v[0]).Value, (g, _, s) => [g * s]);
}
