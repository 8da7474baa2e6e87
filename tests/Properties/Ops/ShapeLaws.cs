using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class ShapeLaws
{
    private static Tensor Normal(int[] shape, int seed) => Tensor.RandomNormal(Rng.Seed(seed), shape, dtype: DType.Float64);

    private static double Dot(Var a, Var b) => Op.Sum(a * b).Value.ToScalar();

    private static int[] Permutation(int rank, int seed)
    {
        var p = Enumerable.Range(0, rank).ToArray();
        new Random(seed).Shuffle(p);
        return p;
    }

    // ----- Permute, Transpose, Flatten

    [Fact]
    public void Permute_RandomPermutation_GradientMatchesFiniteDifferences() =>
        Law.Check(Law.ShapeAndSeed(), c => Law.Gradient("permute", xs => Op.Permute(xs[0], Permutation(c.Shape.Length, c.Seed)), c.Seed, c.Shape));

    [Fact]
    public void Permute_ThenInversePermute_IsIdentity() =>
        Law.Check(Law.ShapeAndSeed(), c =>
        {
            var p = Permutation(c.Shape.Length, c.Seed);
            var inverse = new int[p.Length];
            for (int k = 0; k < p.Length; k++) inverse[p[k]] = k;
            var x = Normal(c.Shape, c.Seed);
            var y = Op.Permute(Op.Permute(x, p), inverse).Value;
            Assert.Equal(x.Shape, y.Shape);
            Assert.Equal(x.ToDoubleArray(), y.ToDoubleArray());
        });

    [Fact]
    public void Transpose_GradientMatchesFiniteDifferences() =>
        Law.Check(
            from c in Law.ShapeAndSeed()
            from a in Gen.Choose(0, 3)
            from b in Gen.Choose(0, 3)
            select (c.Shape, c.Seed, a % c.Shape.Length, b % c.Shape.Length),
            c => Law.Gradient("transpose", xs => Op.Transpose(xs[0], c.Item3, c.Item4), c.Seed, c.Shape));

    [Fact]
    public void Flatten_GradientMatchesFiniteDifferencesAndKeepsElementOrder() =>
        Law.Check(
            from c in Law.ShapeAndSeed()
            from a in Gen.Choose(0, 3)
            from b in Gen.Choose(0, 3)
            select (c.Shape, c.Seed, Math.Min(a, b) % c.Shape.Length, Math.Max(a, b) % c.Shape.Length),
            c =>
            {
                int s = Math.Min(c.Item3, c.Item4), e = Math.Max(c.Item3, c.Item4);
                Law.Gradient("flatten", xs => Op.Flatten(xs[0], s, e), c.Seed, c.Shape);
                var x = Normal(c.Shape, c.Seed);
                var y = Op.Flatten(x, s, e).Value;
                Assert.Equal(c.Shape.Length - (e - s), y.Rank);
                Assert.Equal(x.ToDoubleArray(), y.ToDoubleArray());
            });

    // ----- Concat and Slice

    // A shape, an axis, and 1..3 parts that differ only along that axis (sizes 0..3).
    private static readonly Gen<(int[][] Parts, int Axis, int Seed)> ConcatCase =
        from s in Law.ShapeGen(maxRank: 3, maxDim: 3)
        from axis in Gen.Choose(0, 2)
        from sizes in Gen.Choose(0, 3).ArrayOf(3)
        from count in Gen.Choose(1, 3)
        from seed in Law.Seed
        let a = axis % s.Length
        select (sizes.Take(count).Select(n => { var p = (int[])s.Clone(); p[a] = n; return p; }).ToArray(), a, seed);

    [Fact]
    public void Concat_AlongEachAxis_GradientMatchesFiniteDifferences() =>
        Law.Check(ConcatCase, c =>
        {
            if (c.Parts.Sum(p => p.Aggregate(1, (x, d) => x * d)) == 0) return; // nothing to check
            Law.Gradient($"concat axis={c.Axis}", xs => Op.Concat(xs, c.Axis), c.Seed, c.Parts);
        });

    [Fact]
    public void Concat_ThenSlice_RecoversTheParts() =>
        Law.Check(ConcatCase, c =>
        {
            var parts = c.Parts.Select((p, i) => Normal(p, c.Seed + i)).ToArray();
            var y = Op.Concat(parts.Select(p => (Var)p).ToArray(), c.Axis);
            int offset = 0;
            foreach (var p in parts)
            {
                int n = p.Shape[c.Axis];
                var back = Op.Slice(y, c.Axis, offset, offset + n).Value;
                Assert.Equal(p.Shape, back.Shape);
                Assert.Equal(p.ToDoubleArray(), back.ToDoubleArray());
                offset += n;
            }
            Assert.Equal(y.Shape[c.Axis], offset);
        });

    // A shape, an axis, and Python-style start/end (possibly negative or out of range) with a step 1..3.
    private static readonly Gen<(int[] Shape, int Axis, int Start, int End, int Step, int Seed)> SliceCase =
        from s in Law.ShapeGen(maxRank: 3, maxDim: 6)
        from axis in Gen.Choose(-3, 2)
        from start in Gen.Choose(-7, 7)
        from end in Gen.Choose(-7, 8)
        from step in Gen.Choose(1, 3)
        from seed in Law.Seed
        select (s, Math.Clamp(axis, -s.Length, s.Length - 1), start, end, step, seed);

    [Fact]
    public void Slice_WithSteps_GradientMatchesFiniteDifferences() =>
        Law.Check(SliceCase, c => Law.Gradient("slice", xs => Op.Slice(xs[0], c.Axis, c.Start, c.End, c.Step), c.Seed, c.Shape));

    [Fact]
    public void Slice_MatchesPythonSlicing() =>
        Law.Check(SliceCase, c =>
        {
            int n = c.Shape[c.Axis < 0 ? c.Axis + c.Shape.Length : c.Axis];
            var x = Tensor.Arange(0, n, dtype: DType.Float64);
            var expected = new List<double>();
            int s = Math.Clamp(c.Start < 0 ? c.Start + n : c.Start, 0, n), e = Math.Clamp(c.End < 0 ? c.End + n : c.End, 0, n);
            for (int i = s; i < e; i += c.Step) expected.Add(i);
            Assert.Equal(expected.ToArray(), Op.Slice(x, 0, c.Start, c.End, c.Step).Value.ToDoubleArray());
        });

    [Fact]
    public void Slice_SliceScatter_AreAdjoint() =>
        // <Slice(x), y> == <x, SliceScatter(y)>
        Law.Check(SliceCase, c =>
        {
            var x = Normal(c.Shape, c.Seed);
            var sx = Op.Slice(x, c.Axis, c.Start, c.End, c.Step);
            var y = Normal(sx.Shape.ToArray(), c.Seed + 1);
            int n = c.Shape[c.Axis < 0 ? c.Axis + c.Shape.Length : c.Axis];
            int start = Math.Clamp(c.Start < 0 ? c.Start + n : c.Start, 0, n);
            Assert.Equal(Dot(sx, y), Dot(x, Op.SliceScatter(y, x.Shape, c.Axis, start, c.Step)), 1e-10);
        });

    [Fact]
    public void SliceScatter_GradientMatchesFiniteDifferences() =>
        Law.Check(SliceCase, c =>
        {
            var sliced = Op.Slice(Normal(c.Shape, c.Seed), c.Axis, c.Start, c.End, c.Step).Shape.ToArray();
            int n = c.Shape[c.Axis < 0 ? c.Axis + c.Shape.Length : c.Axis];
            int start = Math.Clamp(c.Start < 0 ? c.Start + n : c.Start, 0, n);
            Law.Gradient("slice_scatter", xs => Op.SliceScatter(xs[0], c.Shape, c.Axis, start, c.Step), c.Seed, sliced);
        });

    [Fact]
    public void ShapeOps_Pullbacks_AreDifferentiable() =>
        // the pullback, as a function of the cotangent, is checked again: closed under differentiation
        Law.Check(SliceCase, c =>
        {
            var ySlice = Op.Slice(Normal(c.Shape, c.Seed), c.Axis, c.Start, c.End, c.Step).Shape.ToArray();
            Law.Gradient("slice pullback", xs => Diff.Vjp(z => Op.Slice(z, c.Axis, c.Start, c.End, c.Step), xs[0]).Pullback(xs[1]), c.Seed, c.Shape, ySlice);
            var twice = (int[])c.Shape.Clone();
            twice[c.Axis < 0 ? c.Axis + twice.Length : c.Axis] *= 2;
            Law.Gradient("concat pullback", xs => Diff.Vjp(z => Op.Concat([z, z * 2.0], c.Axis), xs[0]).Pullback(xs[1]), c.Seed, c.Shape, twice);
        }, maxTest: 20);

    // ----- Pad

    // A shape, a mode and pads valid for it: at most 2 per axis, within PyTorch's limits per mode
    // (Zeros may crop with negative pads).
    private static readonly Gen<(int[] Shape, int[] Pads, PadMode Mode, double Value, int Seed)> PadCase =
        from s in Law.ShapeGen(maxRank: 3, maxDim: 4)
        from mode in Gen.Elements(PadMode.Zeros, PadMode.Reflect, PadMode.Replicate, PadMode.Circular)
        from padSeed in Law.Seed
        from value in Gen.Elements(0.0, 1.5)
        from seed in Law.Seed
        select (s, PadsFor(s, mode, padSeed), mode, value, seed);

    private static int[] PadsFor(int[] shape, PadMode mode, int seed)
    {
        var r = new Random(seed);
        int axes = r.Next(shape.Length + 1);
        var pads = new int[2 * axes];
        for (int k = 0; k < pads.Length; k++)
        {
            int n = shape[shape.Length - 1 - k / 2];
            pads[k] = mode switch
            {
                PadMode.Reflect => r.Next(n), // < n
                PadMode.Circular => r.Next(n + 1), // <= n
                PadMode.Replicate => r.Next(4),
                _ => r.Next(-(n / 2), 3), // two crops leave at least 0
            };
        }
        return pads;
    }

    [Fact]
    public void Pad_EveryMode_GradientMatchesFiniteDifferences() =>
        Law.Check(PadCase, c =>
        {
            var padded = Op.Pad(Normal(c.Shape, c.Seed), c.Pads, c.Mode, c.Value);
            if (padded.Shape.Size == 0) return;
            Law.Gradient($"pad {c.Mode} [{string.Join(", ", c.Pads)}]", xs => Op.Pad(xs[0], c.Pads, c.Mode, c.Value), c.Seed, c.Shape);
        }, maxTest: 60);

    [Fact]
    public void Pad_EveryMode_PullbackIsDifferentiable() =>
        Law.Check(PadCase, c =>
        {
            var padded = Op.Pad(Normal(c.Shape, c.Seed), c.Pads, c.Mode, c.Value).Shape.ToArray();
            Law.Gradient($"pad {c.Mode} pullback", xs => Diff.Vjp(z => Op.Pad(z, c.Pads, c.Mode, c.Value), xs[0]).Pullback(xs[1]), c.Seed, c.Shape, padded);
        }, maxTest: 30);

    [Fact]
    public void Pad_Zeros_IsAdjointToSlicingThePaddingOff() =>
        // <Pad(x), y> == <x, Slice-back(y)> for non-negative pads, where Slice-back crops y to x's region
        Law.Check(PadCase, c =>
        {
            var pads = c.Pads.Select(Math.Abs).ToArray();
            var x = Normal(c.Shape, c.Seed);
            var px = Op.Pad(x, pads);
            var y = Normal(px.Shape.ToArray(), c.Seed + 1);
            Var back = y;
            for (int k = 0; k < pads.Length / 2; k++)
            {
                int axis = c.Shape.Length - 1 - k;
                back = Op.Slice(back, axis, pads[2 * k], pads[2 * k] + c.Shape[axis]);
            }
            Assert.Equal(x.Shape, back.Shape);
            Assert.Equal(Dot(px, y), Dot(x, back), 1e-10);
        });

    [Fact]
    public void Pad_NegativePads_EqualSlicing() =>
        Law.Check(PadCase, c =>
        {
            var crop = c.Pads.Select(p => -Math.Abs(p)).ToArray();
            var x = Normal(c.Shape, c.Seed);
            Var expected = x;
            for (int k = 0; k < crop.Length / 2; k++)
            {
                int axis = c.Shape.Length - 1 - k, n = c.Shape[axis];
                int lo = Math.Min(-crop[2 * k], n), hi = Math.Max(lo, n + crop[2 * k + 1]);
                expected = Op.Slice(expected, axis, lo, hi);
            }
            if (c.Pads.Length > 0 && Enumerable.Range(0, crop.Length / 2).Any(k => c.Shape[c.Shape.Length - 1 - k] + crop[2 * k] + crop[2 * k + 1] < 0)) return;
            var y = Op.Pad(x, crop).Value;
            Assert.Equal(expected.Shape, y.Shape);
            Assert.Equal(expected.Value.ToDoubleArray(), y.ToDoubleArray());
        });
}
