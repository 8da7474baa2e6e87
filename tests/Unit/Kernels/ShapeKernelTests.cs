using Cnn.Autodiff;
using Cnn.Autodiff.Kernels;

namespace Cnn.Unit.Kernels;

/// <summary>Reduction and data-movement kernels against slow loops written straight from their definitions.</summary>
public class ShapeKernelTests
{
    private static double[] Data(int n, int seed, bool ties = false)
    {
        var r = new Random(seed);
        var d = new double[n];
        for (int i = 0; i < n; i++) d[i] = ties ? r.Next(3) : r.NextDouble() * 4 - 2;
        return d;
    }

    private static int[] Unravel(int flat, int[] dims)
    {
        var idx = new int[dims.Length];
        for (int k = dims.Length - 1; k >= 0; k--) { idx[k] = flat % dims[k]; flat /= dims[k]; }
        return idx;
    }

    private static int Ravel(int[] idx, int[] dims)
    {
        int f = 0;
        for (int k = 0; k < dims.Length; k++) f = f * dims[k] + idx[k];
        return f;
    }

    // Shapes [a, n, b] for every n in 0..67 (all remainders of the vectorised row maximum) and reduce masks.
    public static TheoryData<int, int, int> RowShapes()
    {
        var t = new TheoryData<int, int, int>();
        foreach (var (a, b) in new[] { (1, 1), (2, 1), (1, 3), (2, 2) })
            for (int n = 0; n <= 67; n++) t.Add(a, n, b);
        return t;
    }

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void MaxTo_EveryRowLength_EqualsSlowLoop(int a, int n, int b)
    {
        int[] dims = [a, n, b];
        for (int mask = 1; mask < 8; mask++)
        {
            var keep = dims.Select((d, k) => ((mask >> k) & 1) == 1 ? 1 : d).ToArray();
            if (Enumerable.Range(0, 3).Any(k => dims[k] == 0 && keep[k] == 1)) continue; // empty reductions are rejected by the op
            var x = Data(a * n * b, a + 7 * n + 31 * b + mask);
            var expected = new double[keep.Aggregate(1, (p, d) => p * d)];
            Array.Fill(expected, double.NegativeInfinity);
            for (int i = 0; i < x.Length; i++)
            {
                var idx = Unravel(i, dims);
                for (int k = 0; k < 3; k++) if (keep[k] == 1) idx[k] = 0;
                int o = Ravel(idx, keep);
                expected[o] = Math.Max(expected[o], x[i]);
            }
            Assert.Equal(expected, ReduceKernels.MaxTo<double>(x, dims, keep));
            var xf = Array.ConvertAll(x, v => (float)v);
            Assert.Equal(Array.ConvertAll(expected, v => (float)v), ReduceKernels.MaxTo<float>(xf, dims, keep));
        }
    }

    [Fact]
    public void MaxTo_NaNInGroup_PropagatesNaN()
    {
        double[] x = [1, double.NaN, 3, 4, 5, 6];
        Assert.Equal([double.NaN, 6.0], ReduceKernels.MaxTo<double>(x, [2, 3], [2, 1]));
        Assert.Equal([4.0, double.NaN, 6.0], ReduceKernels.MaxTo<double>(x, [2, 3], [1, 3]));
    }

    [Theory]
    [InlineData(new[] { 4, 5 }, new[] { 1, 5 })]
    [InlineData(new[] { 4, 5 }, new[] { 4, 1 })]
    [InlineData(new[] { 3, 4, 2 }, new[] { 1, 4, 1 })]
    [InlineData(new[] { 3, 4, 2 }, new[] { 1, 1, 1 })]
    public void MaxWeights_WithTies_SplitEvenlyAmongMaxima(int[] from, int[] to)
    {
        var x = Data(from.Aggregate(1, (p, d) => p * d), 5, ties: true);
        var max = ReduceKernels.MaxTo<double>(x, from, to);
        var w = ReduceKernels.MaxWeights<double>(x, from, max, to);
        var count = new double[max.Length];
        var group = new int[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            var idx = Unravel(i, from);
            for (int k = 0; k < from.Length; k++) if (to[k] == 1) idx[k] = 0;
            group[i] = Ravel(idx, to);
            if (x[i] == max[group[i]]) count[group[i]]++;
        }
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(x[i] == max[group[i]] ? 1.0 / count[group[i]] : 0.0, w[i]);
    }

    [Theory]
    [InlineData(new[] { 5 }, 0)]
    [InlineData(new[] { 3, 7 }, 1)]
    [InlineData(new[] { 3, 7 }, 0)]
    [InlineData(new[] { 2, 3, 4 }, 1)]
    [InlineData(new[] { 67, 2 }, 0)]
    public void ArgMax_WithTies_EqualsFirstMaximumLoop(int[] shape, int axis)
    {
        var x = Data(shape.Aggregate(1, (p, d) => p * d), 11, ties: true);
        var got = ReduceKernels.ArgMax<double>(x, shape, axis);
        int n = shape[axis];
        var rest = shape.Where((_, k) => k != axis).ToArray();
        Assert.Equal(rest.Aggregate(1, (p, d) => p * d), got.Length);
        for (int o = 0; o < got.Length; o++)
        {
            var r = Unravel(o, rest);
            int best = 0;
            double bv = double.NegativeInfinity;
            for (int k = 0; k < n; k++)
            {
                var idx = r.Take(axis).Append(k).Concat(r.Skip(axis)).ToArray();
                if (x[Ravel(idx, shape)] > bv) { bv = x[Ravel(idx, shape)]; best = k; }
            }
            Assert.Equal(best, got[o]);
        }
    }

    [Fact]
    public void ArgMax_NaN_CountsAsLargest()
    {
        Assert.Equal([1, 0], ReduceKernels.ArgMax<float>([1f, float.NaN, 9f, float.NaN, 2f, 3f], [2, 3], 1));
        Assert.Equal([1, 0], ReduceKernels.ArgMax<double>([1, double.NaN, double.NaN, 3], [2, 2], 0));
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 })]
    [InlineData(new[] { 1, 5, 1, 3 })]
    [InlineData(new[] { 3, 0, 2 })]
    [InlineData(new[] { 67 })]
    [InlineData(new[] { 2, 33 })]
    public void Permute_EveryPermutation_EqualsSlowLoop(int[] shape)
    {
        var x = Data(shape.Aggregate(1, (p, d) => p * d), 3);
        foreach (var p in Permutations(shape.Length))
        {
            var outDims = p.Select(k => shape[k]).ToArray();
            var expected = new double[x.Length];
            for (int o = 0; o < expected.Length; o++)
            {
                var oi = Unravel(o, outDims);
                var ii = new int[shape.Length];
                for (int k = 0; k < p.Length; k++) ii[p[k]] = oi[k];
                expected[o] = x[Ravel(ii, shape)];
            }
            Assert.Equal(expected, ShapeKernels.Permute<double>(x, shape, p));
        }
    }

    private static IEnumerable<int[]> Permutations(int n) =>
        n == 0 ? [[]] : Permutations(n - 1).SelectMany(p => Enumerable.Range(0, n).Select(at => p.Take(at).Append(n - 1).Concat(p.Skip(at)).ToArray()));

    [Theory]
    [InlineData(3, 10, 2, 4, 1, 2, 3)]
    [InlineData(2, 7, 1, 0, 3, 0, 1)]
    [InlineData(1, 67, 1, 1, 66, 1, 1)]
    [InlineData(4, 9, 5, 2, 2, 3, 2)]
    public void AxisCopy_StridedBothWays_EqualsSlowLoop(int outer, int srcLen, int inner, int srcStart, int count, int dstStart, int step)
    {
        int dstLen = dstStart + (count - 1) * step + 1 + 1;
        var src = Data(outer * srcLen * inner, 9);
        var dst = new double[outer * dstLen * inner];
        ShapeKernels.AxisCopy<double>(src, srcLen, srcStart, step, dst, dstLen, dstStart, step, outer, inner, count);
        var expected = new double[dst.Length];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < count; k++)
                for (int j = 0; j < inner; j++)
                    expected[(o * dstLen + dstStart + k * step) * inner + j] = src[(o * srcLen + srcStart + k * step) * inner + j];
        Assert.Equal(expected, dst);
    }

    [Fact]
    public void GatherAndScatterAdd_RandomMap_EqualSlowLoopsAndAreAdjoint()
    {
        var r = new Random(1);
        Shape from = [3, 4], to = [5, 6];
        var source = Enumerable.Range(0, to.Size).Select(_ => r.Next(-4, from.Size)).Select(s => s < 0 ? -1 : s).ToArray();
        var map = new IndexMap(from, to, source);
        var x = Data(from.Size, 2);
        var g = ShapeKernels.Gather<double>(x, map, 7.5);
        for (int i = 0; i < to.Size; i++) Assert.Equal(source[i] < 0 ? 7.5 : x[source[i]], g[i]);
        var y = Data(to.Size, 3);
        var s = ShapeKernels.ScatterAdd<double>(y, map);
        var expected = new double[from.Size];
        for (int i = 0; i < to.Size; i++) if (source[i] >= 0) expected[source[i]] += y[i];
        Assert.Equal(expected, s);
        var g0 = ShapeKernels.Gather<double>(x, map, 0);
        Assert.Equal(g0.Zip(y, (a, b) => a * b).Sum(), x.Zip(s, (a, b) => a * b).Sum(), 1e-12);
    }

    [Fact]
    public void IndexMapFromAxes_EqualsProductOfAxisMaps()
    {
        Shape from = [2, 3];
        int[][] axes = [[1, -1, 0], [2, 2, -1, 0]];
        var map = IndexMap.FromAxes(from, axes);
        Shape to = [3, 4];
        Assert.Equal(to, map.To);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                Assert.Equal(axes[0][i] < 0 || axes[1][j] < 0 ? -1 : axes[0][i] * 3 + axes[1][j], map.Source[i * 4 + j]);
    }
}
