using Cnn.Autodiff;
using Cnn.Layers;
using FsCheck.Fluent;

namespace Cnn.Properties.Optimizers;

public class OptimizerLaws
{
    /// <summary>Shapes of a tree of 1..3 leaves, a seed and a scale for the values.</summary>
    private static readonly FsCheck.Gen<(int[][] Shapes, int Seed, double Scale)> TreeCase =
        from n in Gen.Choose(1, 3)
        from shapes in Gen.ArrayOf(Law.ShapeGen(maxRank: 3), n)
        from seed in Law.Seed
        from scale in Gen.Elements(0.01, 1.0, 30.0)
        select (shapes, seed, scale);

    private static ParamTree<Tensor> Tree(int[][] shapes, Rng rng, double scale = 1)
    {
        var keys = rng.Split(shapes.Length);
        var pairs = new List<KeyValuePair<string, Tensor>>();
        for (int i = 0; i < shapes.Length; i++)
            pairs.Add(KeyValuePair.Create($"layer{i}.weight", Tensor.RandomNormal(keys[i], shapes[i], std: scale, dtype: DType.Float64)));
        return ParamTree.FromPairs(pairs);
    }

    private static readonly IOptimizer[] All =
    [
        new Sgd(0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01),
        new Adam(0.01, amsgrad: true, weightDecay: 0.1),
        new AdamW(0.01),
        new RmsProp(0.01, momentum: 0.5, centered: true),
    ];

    [Fact]
    public void ByGlobalNorm_AnyTree_ScalesEveryLeafByOneFactorToAtMostMaxNorm() =>
        Law.Check(TreeCase, c =>
        {
            var g = Tree(c.Shapes, Rng.Seed(c.Seed), c.Scale);
            double maxNorm = 1.0;
            var (clipped, norm) = Clip.ByGlobalNorm(g, maxNorm);
            double sum = 0, clippedSum = 0;
            foreach (var t in g.Values) for (int i = 0; i < t.Size; i++) sum += t.At(i) * t.At(i);
            foreach (var t in clipped.Values) for (int i = 0; i < t.Size; i++) clippedSum += t.At(i) * t.At(i);
            Assert.Equal(Math.Sqrt(sum), norm, 1e-12 * Math.Max(1, norm));
            Assert.True(Math.Sqrt(clippedSum) <= maxNorm * (1 + 1e-12), $"clipped norm {Math.Sqrt(clippedSum)}");
            double factor = norm + 1e-6 > maxNorm ? maxNorm / (norm + 1e-6) : 1;
            for (int k = 0; k < g.Count; k++)
                for (int i = 0; i < g[k].Value.Size; i++)
                    Assert.Equal(factor * g[k].Value.At(i), clipped[k].Value.At(i), 1e-14);
        });

    [Fact]
    public void Step_WholeTree_EqualsStepsOfEachLeafAlone() =>
        Law.Check(TreeCase, c =>
        {
            var keys = Rng.Seed(c.Seed).Split(2);
            var p = Tree(c.Shapes, keys[0]);
            var g = Tree(c.Shapes, keys[1], c.Scale);
            foreach (var opt in All)
            {
                var (p1, s1) = opt.Step(p, g, opt.Init(p));
                (p1, s1) = opt.Step(p1, g, s1);
                foreach (var path in p.Paths)
                {
                    var pi = p.Filter((q, _) => q == path);
                    var gi = g.Filter((q, _) => q == path);
                    var (q1, r1) = opt.Step(pi, gi, opt.Init(pi));
                    (q1, _) = opt.Step(q1, gi, r1);
                    Assert.Equal(p1[path].ToDoubleArray(), q1[path].ToDoubleArray());
                }
            }
        });

    [Fact]
    public void Restore_OfFlatten_IsTheSameState() =>
        Law.Check(TreeCase, c =>
        {
            var keys = Rng.Seed(c.Seed).Split(2);
            var p = Tree(c.Shapes, keys[0]);
            var g = Tree(c.Shapes, keys[1], c.Scale);
            foreach (var opt in All)
            {
                var (_, s) = opt.Step(p, g, opt.Init(p));
                var r = OptimizerState.Restore(s.Step, s.Flatten());
                Assert.Equal(s.Step, r.Step);
                Assert.Equal(s.BufferNames, r.BufferNames);
                foreach (var name in s.BufferNames)
                {
                    Assert.Equal(s.Buffer(name).Paths, r.Buffer(name).Paths);
                    Assert.Equal(s.Buffer(name).Values, r.Buffer(name).Values);
                }
            }
        });
}
