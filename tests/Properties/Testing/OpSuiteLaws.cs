using Cnn.Autodiff;
using Cnn.Testing;

namespace Cnn.Properties.Testing;

/// <summary>A function of inputs of the given shapes, checked at values drawn from the seed.</summary>
public sealed record OpCase(string Name, Func<IReadOnlyList<Var>, Var> F, Shape[] Shapes, int Seed, TensorValues? Values = null)
{
    public override string ToString() => $"{Name}: inputs {string.Join(", ", Shapes)}, seed {Seed}";
}

/// <summary>
/// Every built-in op family through the gradient and second-order laws of Cnn.Testing, one line per op.
/// (tests/Properties/Ops/*Laws.cs check the same ops with wider settings and their algebraic laws.)
/// </summary>
public class OpSuiteLaws
{
    private static readonly CaseGen<Shape> Small = Gens.Shape(1, 3, 1, 4);

    private static CaseGen<OpCase> Unary(string name, Func<Var, Var> f, TensorValues? values = null) =>
        from s in Small from seed in Gens.Seed select new OpCase(name, xs => f(xs[0]), [s], seed, values);

    // b broadcasts against a: a suffix of a's shape with some dimensions set to 1.
    private static CaseGen<OpCase> Binary(string name, Func<Var, Var, Var> f, TensorValues? values = null) =>
        from a in Small
        from drop in Gens.Int(0, a.Rank)
        from ones in Gens.Int(0, 7)
        from swap in Gens.Bool
        from seed in Gens.Seed
        let b = a.Skip(drop).Select((d, i) => ((ones >> i) & 1) == 1 ? 1 : d).ToArray()
        select new OpCase(name, xs => f(xs[0], xs[1]), swap ? [b, a] : [a, (Shape)b], seed, values);

    // An axis of a shape of rank 1..3 (drawn after the shape, so it shrinks toward axis 0).
    private static CaseGen<OpCase> AlongAxis(string name, Func<Var, int, Var> f, TensorValues? values = null) =>
        from s in Small from axis in Gens.Int(0, s.Rank - 1) from seed in Gens.Seed select new OpCase(name, xs => f(xs[0], axis), [s], seed, values);

    private static readonly CaseGen<OpCase> MatMulCase =
        from m in Gens.Int(1, 4) from k in Gens.Int(1, 4) from n in Gens.Int(1, 4) from seed in Gens.Seed
        select new OpCase("matmul", xs => Op.MatMul(xs[0], xs[1]), [[m, k], [k, n]], seed);

    private static readonly CaseGen<OpCase> LinearCase =
        from m in Gens.Int(1, 4) from k in Gens.Int(1, 4) from n in Gens.Int(1, 4) from seed in Gens.Seed
        select new OpCase("linear", xs => Op.Linear(xs[0], xs[1], xs[2]), [[m, k], [n, k], [n]], seed);

    private static readonly CaseGen<OpCase> Conv2dCase =
        from c in Gens.Conv2d()
        select new OpCase($"conv2d {c.Options}", xs => Op.Conv2d(xs[0], xs[1], xs[2], c.Options), [c.InputShape, c.WeightShape, c.BiasShape], c.Seed);

    private static CaseGen<OpCase> Pool(string name, Func<Var, Pool2dCase, Var> f, Pool2dBounds bounds, TensorValues? values = null) =>
        from p in Gens.Pool2d(bounds) select new OpCase($"{name} {p}", xs => f(xs[0], p), [p.InputShape], p.Seed, values);

    private static readonly CaseGen<OpCase> PadCase =
        from s in Gens.Shape(1, 3, 1, 4)
        from mode in Gens.Element(PadMode.Zeros, PadMode.Circular, PadMode.Replicate, PadMode.Reflect)
        from before in Gens.Int(0, 2)
        from after in Gens.Int(0, 2)
        let limit = mode == PadMode.Reflect ? s[^1] - 1 : mode == PadMode.Circular ? s[^1] : 2
        select new OpCase($"pad {mode}", xs => Op.Pad(xs[0], [Math.Min(before, limit), Math.Min(after, limit)], mode), [s], 0);

    private static readonly CaseGen<OpCase> SliceCase =
        from s in Small from start in Gens.Int(0, 3) from step in Gens.Int(1, 2) from seed in Gens.Seed
        select new OpCase($"slice start={start} step={step}", xs => Op.Slice(xs[0], -1, start, int.MaxValue, step), [s], seed);

    private static readonly CaseGen<OpCase> ConcatCase =
        from a in Small from extra in Gens.Int(1, 3) from seed in Gens.Seed
        select new OpCase("concat", xs => Op.Concat([xs[0], xs[1]], -1), [a, a.With(-1, extra)], seed);

    // NOTE: with as few as 2 values per channel the batch variance can be tiny; the k-th derivative grows as
    // invstd^(k+1), and the central differences of the second-order law then err by more than its tolerance.
    // eps = 0.01 bounds invstd by 10; NormLaws checks the default eps to first order.
    private static readonly CaseGen<OpCase> BatchNormCase =
        from n in Gens.Int(2, 3) from c in Gens.Int(1, 3) from h in Gens.Int(1, 3) from seed in Gens.Seed
        select new OpCase("batch_norm train", xs => Op.BatchNorm(xs[0], xs[1], xs[2], null, null, training: true, eps: 0.01).Output, [[n, c, h], [c], [c]], seed);

    private static readonly CaseGen<OpCase> CrossEntropyCase =
        from n in Gens.Int(1, 3) from k in Gens.Int(1, 4) from seed in Gens.Seed
        let labels = Enumerable.Range(0, n).Select(i => Rng.Seed(seed).Int(i, k)).ToArray()
        select new OpCase($"cross_entropy labels=[{string.Join(", ", labels)}]", xs => Op.CrossEntropy(xs[0], labels), [[n, k]], seed);

    /// <summary>The suite: name, cases, and whether the second-order law is checked too.</summary>
    public static readonly IReadOnlyList<(string Name, CaseGen<OpCase> Cases, bool SecondOrder)> Ops =
    [
        ("abs", Unary("abs", Op.Abs, TensorValues.AwayFromZero()), true),
        ("negate", Unary("negate", Op.Negate), true),
        ("exp", Unary("exp", Op.Exp), true),
        ("log", Unary("log(|x|)", x => Op.Log(Op.Abs(x)), TensorValues.AwayFromZero(0.5)), true),
        ("sqrt", Unary("sqrt(|x|)", x => Op.Sqrt(Op.Abs(x)), TensorValues.AwayFromZero(0.5)), true),
        ("rsqrt", Unary("rsqrt(|x|)", x => Op.Rsqrt(Op.Abs(x)), TensorValues.AwayFromZero(0.5)), true),
        ("pow", Unary("pow(|x|, 1.5)", x => Op.Pow(Op.Abs(x), 1.5), TensorValues.AwayFromZero(0.5)), true),
        ("square", Unary("square", Op.Square), true),
        ("relu", Unary("relu", Op.Relu, TensorValues.AwayFromZero()), true),
        ("leaky_relu", Unary("leaky_relu", x => Op.LeakyRelu(x, 0.1), TensorValues.AwayFromZero()), true),
        ("sigmoid", Unary("sigmoid", Op.Sigmoid), true),
        ("tanh", Unary("tanh", Op.Tanh), true),
        ("softplus", Unary("softplus", Op.Softplus), true),
        ("add", Binary("add", Op.Add), true),
        ("subtract", Binary("subtract", Op.Subtract), true),
        ("multiply", Binary("multiply", Op.Multiply), true),
        ("divide", Binary("divide", Op.Divide, TensorValues.AwayFromZero(0.5)), true),
        ("sum", AlongAxis("sum", (x, a) => Op.Sum(x, [a])), true),
        ("mean", AlongAxis("mean", (x, a) => Op.Mean(x, [a], keepDims: true)), true),
        ("max", AlongAxis("max", (x, a) => Op.Max(x, [a]), TensorValues.Untied()), true),
        ("logsumexp", AlongAxis("logsumexp", (x, a) => Op.LogSumExp(x, [a])), true),
        ("softmax", AlongAxis("softmax", (x, a) => Op.Softmax(x, a)), true),
        ("log_softmax", AlongAxis("log_softmax", (x, a) => Op.LogSoftmax(x, a)), true),
        ("transpose", AlongAxis("transpose", (x, a) => Op.Transpose(x, a, 0)), false),
        ("reshape", Unary("reshape", x => Op.Reshape(x, -1)), false),
        ("permute", Unary("permute reversed", x => Op.Permute(x, Enumerable.Range(0, x.Rank).Reverse().ToArray())), false),
        ("broadcast_to", Unary("broadcast_to", x => Op.BroadcastTo(x, [2, .. x.Shape])), false),
        ("slice", SliceCase, false),
        ("concat", ConcatCase, false),
        ("pad", PadCase, false),
        ("matmul", MatMulCase, true),
        ("linear", LinearCase, true),
        ("conv2d", Conv2dCase, true),
        ("max_pool2d", Pool("max_pool2d", (x, p) => Op.MaxPool2d(x, p.Kernel, p.Stride, p.Padding, p.Dilation), new Pool2dBounds(MaxDilation: 2), TensorValues.Untied()), true),
        ("avg_pool2d", Pool("avg_pool2d", (x, p) => Op.AvgPool2d(x, p.Kernel, p.Stride, p.Padding), new Pool2dBounds()), true),
        ("adaptive_avg_pool2d", Pool("adaptive_avg_pool2d 2x1", (x, _) => Op.AdaptiveAvgPool2d(x, 2, 1), new Pool2dBounds()), true),
        ("batch_norm", BatchNormCase, true),
        ("mse_loss", from s in Small from seed in Gens.Seed select new OpCase("mse_loss", xs => Op.MseLoss(xs[0], xs[1]), [s, s], seed), true),
        ("bce_with_logits", Unary("bce_with_logits", x => Op.BinaryCrossEntropyWithLogits(x, Op.Sigmoid(Op.Negate(x)))), true),
        ("cross_entropy", CrossEntropyCase, true),
    ];

    public static TheoryData<string> Names() => [.. Ops.Select(o => o.Name)];

    public static TheoryData<string> SecondOrderNames() => [.. Ops.Where(o => o.SecondOrder).Select(o => o.Name)];

    private static CaseGen<OpCase> Find(string name) => Ops.Single(o => o.Name == name).Cases;

    [Theory]
    [MemberData(nameof(Names))]
    public void Op_GeneratedCases_GradientLawHolds(string op) =>
        Laws.Check(Find(op), c => Laws.Gradient(c.Name, c.F, (c.Values ?? TensorValues.Normal).Inputs(c.Shapes, c.Seed), c.Seed), maxTest: 15);

    [Theory]
    [MemberData(nameof(SecondOrderNames))]
    public void Op_GeneratedCases_SecondOrderLawHolds(string op) =>
        Laws.Check(Find(op), c => Laws.SecondOrder(c.Name, c.F, (c.Values ?? TensorValues.Normal).Inputs(c.Shapes, c.Seed), c.Seed), maxTest: 8);
}
