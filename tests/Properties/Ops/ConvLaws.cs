using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class ConvLaws
{
    /// <summary>A consistent convolution: input [N, C, H, W], weight [K, C/groups, kh, kw], bias [K], settings.</summary>
    public sealed record ConvCase(int[] X, int[] W, int[] B, Conv2dOptions O, int Seed)
    {
        public int Kh => W[2];
        public int Kw => W[3];
        public int Ho => O.OutputHeight(X[2], Kh);
        public int Wo => O.OutputWidth(X[3], Kw);
        public int[] Y => [X[0], W[0], Ho, Wo];

        // The output padding that makes the transposed convolution return exactly the input's size.
        public int OutPadH => (X[2] + O.PadTop + O.PadBottom - O.DilationH * (Kh - 1) - 1) % O.StrideH;
        public int OutPadW => (X[3] + O.PadLeft + O.PadRight - O.DilationW * (Kw - 1) - 1) % O.StrideW;
    }

    // Kernel 1..3, stride 1..3, padding 0..2 per side (asymmetric), dilation 1..2, groups 1..3 dividing the
    // channels (depthwise when one input channel per group); H and W chosen so the output is at least 1x1.
    private static readonly Gen<ConvCase> Cases =
        from groups in Gen.Choose(1, 3)
        from cg in Gen.Choose(1, 2)
        from kg in Gen.Choose(1, 2)
        from n in Gen.Choose(1, 2)
        from kh in Gen.Choose(1, 3)
        from kw in Gen.Choose(1, 3)
        from sh in Gen.Choose(1, 3)
        from sw in Gen.Choose(1, 3)
        from p in Gen.ArrayOf(Gen.Choose(0, 2), 4)
        from dh in Gen.Choose(1, 2)
        from dw in Gen.Choose(1, 2)
        from eh in Gen.Choose(0, 3)
        from ew in Gen.Choose(0, 3)
        from seed in Law.Seed
        let h = Math.Max(1, dh * (kh - 1) + 1 - p[0] - p[1] + eh)
        let w = Math.Max(1, dw * (kw - 1) + 1 - p[2] - p[3] + ew)
        select new ConvCase([n, groups * cg, h, w], [groups * kg, cg, kh, kw], [groups * kg],
            new Conv2dOptions(sh, sw, p[0], p[1], p[2], p[3], dh, dw, groups), seed);

    /// <summary>A transposed convolution: input [N, Cin, H, W], weight [Cin, Cout/groups, kh, kw], bias [Cout], output padding.</summary>
    public sealed record TransposeCase(int[] X, int[] W, int[] B, Conv2dOptions O, int OutPadH, int OutPadW, int Seed);

    private static readonly Gen<TransposeCase> TransposeCases =
        from c in Cases
        from oph in Gen.Choose(0, Math.Max(c.O.StrideH, c.O.DilationH) - 1)
        from opw in Gen.Choose(0, Math.Max(c.O.StrideW, c.O.DilationW) - 1)
        from eh in Gen.Choose(0, 2)
        from ew in Gen.Choose(0, 2)
        // enough input rows that the padding never removes the whole output
        let h = 1 + (c.O.PadTop + c.O.PadBottom + c.O.StrideH - 1) / c.O.StrideH + eh
        let w = 1 + (c.O.PadLeft + c.O.PadRight + c.O.StrideW - 1) / c.O.StrideW + ew
        select new TransposeCase([c.X[0], c.W[0], h, w], c.W, [c.W[1] * c.O.Groups], c.O, oph, opw, c.Seed);

    private static Tensor Random(int seed, int[] shape) => Tensor.RandomNormal(Rng.Seed(seed), shape, dtype: DType.Float64);

    private static double Dot(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape, b.Shape);
        double s = 0;
        for (int i = 0; i < a.Size; i++) s += a.At(i) * b.At(i);
        return s;
    }

    private static void AssertNear(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-9 * Math.Max(1, Math.Abs(expected)), $"{what}: {expected} vs {actual}");

    [Fact]
    public void Conv2d_GeneratedSettings_GradientMatchesFiniteDifferences() =>
        Law.Check(Cases, c => Law.Gradient($"conv2d {c.O}", xs => Op.Conv2d(xs[0], xs[1], xs[2], c.O), c.Seed, c.X, c.W, c.B));

    [Fact]
    public void ConvTranspose2d_GeneratedSettings_GradientMatchesFiniteDifferences() =>
        Law.Check(TransposeCases, c => Law.Gradient($"conv_transpose2d {c.O} outpad={c.OutPadH}x{c.OutPadW}",
            xs => Op.ConvTranspose2d(xs[0], xs[1], xs[2], c.O, c.OutPadH, c.OutPadW), c.Seed, c.X, c.W, c.B));

    [Fact]
    public void Conv2dWeightGrad_GeneratedSettings_GradientMatchesFiniteDifferences() =>
        Law.Check(Cases, c => Law.Gradient($"conv2d_weight_grad {c.O}",
            xs => Op.Conv2dWeightGrad(xs[0], xs[1], c.O, c.Kh, c.Kw), c.Seed, c.X, c.Y));

    [Fact]
    public void Conv2d_OutputShape_FollowsFormulaAndTransposeRestoresInputShape() =>
        Law.Check(Cases, c =>
        {
            var y = Op.Conv2d(Random(c.Seed, c.X), Random(c.Seed + 1, c.W), null, c.O);
            int ho = (c.X[2] + c.O.PadTop + c.O.PadBottom - c.O.DilationH * (c.Kh - 1) - 1) / c.O.StrideH + 1;
            int wo = (c.X[3] + c.O.PadLeft + c.O.PadRight - c.O.DilationW * (c.Kw - 1) - 1) / c.O.StrideW + 1;
            Assert.Equal(new[] { c.X[0], c.W[0], ho, wo }, y.Shape.ToArray());
            var back = Op.ConvTranspose2d(y, Random(c.Seed + 1, c.W), null, c.O, c.OutPadH, c.OutPadW);
            Assert.Equal(c.X, back.Shape.ToArray());
            Assert.Equal(c.X[2], Conv2dOptions.TransposeOutputSize(ho, c.Kh, c.O.StrideH, c.O.PadTop, c.O.PadBottom, c.O.DilationH, c.OutPadH));
        });

    [Fact]
    public void ConvTranspose2d_OutputShape_FollowsFormula() =>
        Law.Check(TransposeCases, c =>
        {
            var y = Op.ConvTranspose2d(Random(c.Seed, c.X), Random(c.Seed + 1, c.W), null, c.O, c.OutPadH, c.OutPadW);
            int ho = (c.X[2] - 1) * c.O.StrideH - c.O.PadTop - c.O.PadBottom + c.O.DilationH * (c.W[2] - 1) + c.OutPadH + 1;
            int wo = (c.X[3] - 1) * c.O.StrideW - c.O.PadLeft - c.O.PadRight + c.O.DilationW * (c.W[3] - 1) + c.OutPadW + 1;
            Assert.Equal(new[] { c.X[0], c.W[1] * c.O.Groups, ho, wo }, y.Shape.ToArray());
        });

    [Fact]
    public void Conv2d_ConvTranspose2dAndWeightGrad_AreAdjoint() =>
        // <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> == <w, conv2d_weight_grad(x, y)>
        Law.Check(Cases, c =>
        {
            Tensor x = Random(c.Seed, c.X), w = Random(c.Seed + 1, c.W), y = Random(c.Seed + 2, c.Y);
            double lhs = Dot(Op.Conv2d(x, w, null, c.O).Value, y);
            AssertNear(lhs, Dot(x, Op.ConvTranspose2d(y, w, null, c.O, c.OutPadH, c.OutPadW).Value), "conv2d vs conv_transpose2d");
            AssertNear(lhs, Dot(w, Op.Conv2dWeightGrad(x, y, c.O, c.Kh, c.Kw).Value), "conv2d vs conv2d_weight_grad");
        });

    // Ungrouped 3x3 convolutions with unit strides, 17..40 output channels and 5..7 input channels: the weight gradient's
    // register-tiled kernel (Conv3x3WeightGrad); padding 0..2 per side, odd sizes.
    private static readonly Gen<ConvCase> Wide3x3Cases =
        from n in Gen.Choose(1, 2)
        from cin in Gen.Choose(5, 7)
        from cout in Gen.Choose(17, 40)
        from p in Gen.ArrayOf(Gen.Choose(0, 2), 4)
        from eh in Gen.Choose(0, 4)
        from ew in Gen.Choose(0, 4)
        from seed in Law.Seed
        select new ConvCase([n, cin, Math.Max(1, 3 - p[0] - p[1] + eh), Math.Max(1, 3 - p[2] - p[3] + ew)], [cout, cin, 3, 3], [cout],
            new Conv2dOptions(1, 1, p[0], p[1], p[2], p[3], 1, 1, 1), seed);

    [Fact]
    public void Conv2dWeightGrad_Wide3x3_IsAdjointOfConv2d() =>
        // <conv2d(x, w), y> == <w, conv2d_weight_grad(x, y)>
        Law.Check(Wide3x3Cases, c =>
        {
            Tensor x = Random(c.Seed, c.X), w = Random(c.Seed + 1, c.W), y = Random(c.Seed + 2, c.Y);
            AssertNear(Dot(Op.Conv2d(x, w, null, c.O).Value, y), Dot(w, Op.Conv2dWeightGrad(x, y, c.O, 3, 3).Value), "conv2d vs conv2d_weight_grad");
        });

    [Fact]
    public void Conv2d_Wide3x3_GradientMatchesFiniteDifferences() =>
        Law.Check(Wide3x3Cases, c => Law.Gradient($"conv2d {c.O}", xs => Op.Conv2d(xs[0], xs[1], xs[2], c.O), c.Seed, c.X, c.W, c.B), maxTest: 5);

    // Roll by (dy, dx): out[n, c, i, j] = x[n, c, (i - dy) mod H, (j - dx) mod W].
    private static Tensor Roll(Tensor x, int dy, int dx) => Wrap(x, x.Shape[2], x.Shape[3], dy, dx);

    // Circular padding by (top, bottom, left, right).
    private static Tensor Circular(Tensor x, int top, int bottom, int left, int right) =>
        Wrap(x, x.Shape[2] + top + bottom, x.Shape[3] + left + right, top, left);

    // out[n, c, i, j] = x[n, c, (i - top) mod H, (j - left) mod W] for an [N, C, oh, ow] output.
    private static Tensor Wrap(Tensor x, int oh, int ow, int top, int left)
    {
        int n = x.Shape[0], ch = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        return Tensor.Generate([n, ch, oh, ow], x.DType, f =>
        {
            int j = f % ow, i = f / ow % oh, nc = f / (ow * oh);
            int si = ((i - top) % h + h) % h, sj = ((j - left) % w + w) % w;
            return x.At((nc * h + si) * w + sj);
        });
    }

    [Fact]
    public void Conv2d_CircularPadding_IsTranslationEquivariant() =>
        // conv2d(circular_pad(roll(x))) == roll(conv2d(circular_pad(x))) for stride 1 and 'same'-sized circular padding
        Law.Check(
            from c in Cases
            from h in Gen.Choose(1, 5)
            from w in Gen.Choose(1, 5)
            from top in Gen.Choose(0, c.O.DilationH * (c.Kh - 1))
            from left in Gen.Choose(0, c.O.DilationW * (c.Kw - 1))
            from dy in Gen.Choose(-6, 6)
            from dx in Gen.Choose(-6, 6)
            select (c, h, w, top, left, dy, dx),
            t =>
            {
                var (c, h, w, top, left, dy, dx) = t;
                int bottom = c.O.DilationH * (c.Kh - 1) - top, right = c.O.DilationW * (c.Kw - 1) - left;
                var valid = new Conv2dOptions(1, 1, 0, 0, 0, 0, c.O.DilationH, c.O.DilationW, c.O.Groups);
                var x = Random(c.Seed, [c.X[0], c.X[1], h, w]);
                var wt = Random(c.Seed + 1, c.W);
                var b = Random(c.Seed + 2, c.B);
                var shiftedFirst = Op.Conv2d(Circular(Roll(x, dy, dx), top, bottom, left, right), wt, b, valid).Value;
                var shiftedAfter = Roll(Op.Conv2d(Circular(x, top, bottom, left, right), wt, b, valid).Value, dy, dx);
                Assert.True(shiftedFirst.MaxAbsDiff(shiftedAfter) < 1e-12, $"max difference {shiftedFirst.MaxAbsDiff(shiftedAfter)}");
            });

    // A Hessian-vector product of a cubic in the inputs: a larger step keeps rounding (eps |f| / h) below the
    // tolerance, while the truncation error h^2 f'''/6 stays far below it.
    private static readonly GradCheckOptions SecondOrder = new(Step: 1e-4, Tolerance: 1e-5, Floor: 1e-2);

    [Fact]
    public void Conv2d_SumOfSquares_SecondOrderGradientMatchesFiniteDifferences() =>
        Law.Check(Cases, c =>
        {
            var keys = Rng.Seed(c.Seed).Split(4);
            Tensor[] xs = [Tensor.RandomNormal(keys[0], c.X, dtype: DType.Float64), Tensor.RandomNormal(keys[1], c.W, dtype: DType.Float64), Tensor.RandomNormal(keys[2], c.B, dtype: DType.Float64)];
            var r = GradCheck.CheckSecondOrder($"sum(conv2d(x, w, b)^2) {c.O}", v =>
            {
                var y = Op.Conv2d(v[0], v[1], v[2], c.O);
                return Op.Sum(y * y);
            }, xs, keys[3], SecondOrder);
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);

    [Fact]
    public void ConvTranspose2d_SumOfSquares_SecondOrderGradientMatchesFiniteDifferences() =>
        Law.Check(TransposeCases, c =>
        {
            var keys = Rng.Seed(c.Seed).Split(3);
            Tensor[] xs = [Tensor.RandomNormal(keys[0], c.X, dtype: DType.Float64), Tensor.RandomNormal(keys[1], c.W, dtype: DType.Float64)];
            var r = GradCheck.CheckSecondOrder($"sum(conv_transpose2d(x, w)^2) {c.O}", v =>
            {
                var y = Op.ConvTranspose2d(v[0], v[1], null, c.O, c.OutPadH, c.OutPadW);
                return Op.Sum(y * y);
            }, xs, keys[2], SecondOrder);
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);
}
