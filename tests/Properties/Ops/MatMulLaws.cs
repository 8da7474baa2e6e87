using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties.Ops;

public class MatMulLaws
{
    // Batch shapes of rank 0..2 for a and a broadcast partner for b, matrix sizes m, k, n, flags and a seed.
    private static readonly Gen<(int[] BatchA, int[] BatchB, int M, int K, int N, bool TA, bool TB, int Seed)> Case =
        from batch in Law.ShapeGen(maxRank: 2, maxDim: 3)
        from noBatch in Gen.Elements(true, false)
        from bits in Gen.Choose(0, 1 << 10)
        from swap in Gen.Elements(true, false)
        from m in Law.Dim(4)
        from k in Law.Dim(4)
        from n in Law.Dim(4)
        from ta in Gen.Elements(true, false)
        from tb in Gen.Elements(true, false)
        from seed in Law.Seed
        let ba = noBatch ? [] : batch
        let bb = noBatch ? [] : Law.BroadcastPartner(batch, bits)
        select swap ? (bb, ba, m, k, n, ta, tb, seed) : (ba, bb, m, k, n, ta, tb, seed);

    private static int[] Stored(int[] batch, int rows, int cols, bool transposed) =>
        [.. batch, transposed ? cols : rows, transposed ? rows : cols];

    [Fact]
    public void MatMul_Matrices_GradientMatchesFiniteDifferences() =>
        Law.Check(Case, c => Law.Gradient("matmul", xs => Op.MatMul(xs[0], xs[1]), c.Seed, [c.M, c.K], [c.K, c.N]));

    [Fact]
    public void MatMul_BroadcastBatches_GradientMatchesFiniteDifferences() =>
        Law.Check(Case, c => Law.Gradient("batched matmul", xs => Op.MatMul(xs[0], xs[1]), c.Seed,
            [.. c.BatchA, c.M, c.K], [.. c.BatchB, c.K, c.N]));

    [Fact]
    public void MatMul_TransposeFlags_GradientMatchesFiniteDifferences() =>
        Law.Check(Case, c => Law.Gradient($"matmul transposeA={c.TA} transposeB={c.TB}", xs => Op.MatMul(xs[0], xs[1], c.TA, c.TB), c.Seed,
            Stored(c.BatchA, c.M, c.K, c.TA), Stored(c.BatchB, c.K, c.N, c.TB)));

    [Fact]
    public void MatMul_Vectors_GradientMatchesFiniteDifferences() =>
        Law.Check(Case, c =>
        {
            Law.Gradient("vector-matrix", xs => Op.MatMul(xs[0], xs[1]), c.Seed, [c.K], [.. c.BatchB, c.K, c.N]);
            Law.Gradient("matrix-vector", xs => Op.MatMul(xs[0], xs[1]), c.Seed, [.. c.BatchA, c.M, c.K], [c.K]);
            Law.Gradient("dot", xs => Op.MatMul(xs[0], xs[1]), c.Seed, [c.K], [c.K]);
        }, maxTest: 20);

    [Fact]
    public void MatMul_TransposeFlags_EqualMatMulOfMaterialisedTransposes() =>
        Law.Check(Case, c =>
        {
            var (ka, kb) = Rng.Seed(c.Seed).Split();
            var a = Tensor.RandomNormal(ka, Stored(c.BatchA, c.M, c.K, c.TA), dtype: DType.Float64);
            var b = Tensor.RandomNormal(kb, Stored(c.BatchB, c.K, c.N, c.TB), dtype: DType.Float64);
            var expected = Op.MatMul(c.TA ? SwapLastTwo(a) : a, c.TB ? SwapLastTwo(b) : b).Value;
            Assert.True(Op.MatMul(a, b, c.TA, c.TB).Value.AllClose(expected, 1e-12, 1e-12));
        });

    [Fact]
    public void MatMul_SumOfSquaredProduct_SecondOrderGradientMatchesFiniteDifferences() =>
        Law.Check(Case, c =>
        {
            var keys = Rng.Seed(c.Seed).Split(3);
            var a = Tensor.RandomNormal(keys[0], Stored(c.BatchA, c.M, c.K, c.TA), dtype: DType.Float64);
            var b = Tensor.RandomNormal(keys[1], Stored(c.BatchB, c.K, c.N, c.TB), dtype: DType.Float64);
            var r = GradCheck.CheckSecondOrder("sum((A B)^2)", xs =>
            {
                var p = Op.MatMul(xs[0], xs[1], c.TA, c.TB);
                return Op.Sum(Op.Multiply(p, p));
            }, [a, b], keys[2]);
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);

    [Fact]
    public void Linear_WithAndWithoutBias_GradientMatchesFiniteDifferences() =>
        Law.Check(Case, c =>
        {
            int[] x = [.. c.BatchA, c.K];
            Law.Gradient("linear", xs => Op.Linear(xs[0], xs[1], xs[2]), c.Seed, x, [c.N, c.K], [c.N]);
            Law.Gradient("linear without bias", xs => Op.Linear(xs[0], xs[1]), c.Seed, x, [c.N, c.K]);
        });

    [Fact]
    public void Linear_SecondOrderGradientMatchesFiniteDifferences() =>
        Law.Check(Case, c =>
        {
            var keys = Rng.Seed(c.Seed).Split(4);
            var x = Tensor.RandomNormal(keys[0], [c.M, c.K], dtype: DType.Float64);
            var w = Tensor.RandomNormal(keys[1], [c.N, c.K], dtype: DType.Float64);
            var b = Tensor.RandomNormal(keys[2], [c.N], dtype: DType.Float64);
            var r = GradCheck.CheckSecondOrder("sum(linear^2)", xs =>
            {
                var y = Op.Linear(xs[0], xs[1], xs[2]);
                return Op.Sum(Op.Multiply(y, y));
            }, [x, w, b], keys[3]);
            Assert.True(r.Passed, r.ToString());
        }, maxTest: 20);

    private static Tensor SwapLastTwo(Tensor t)
    {
        var d = t.Shape.ToArray();
        int r = d[^2], c = d[^1];
        (d[^2], d[^1]) = (c, r);
        return Tensor.Generate(d, t.DType, i =>
        {
            int mat = i / (r * c), rest = i % (r * c), ci = rest / r, ri = rest % r;
            return t.At(mat * r * c + ri * c + ci);
        });
    }
}
