using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties;

/// <summary>Runs FsCheck properties from xunit: a failing case is shrunk and reported as an exception.</summary>
public static class Law
{
    /// <summary>Checks <paramref name="property"/> for <paramref name="maxTest"/> generated cases.</summary>
    public static void Check<T>(Gen<T> gen, Action<T> property, int maxTest = 40) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), Prop.ForAll(gen.ToArbitrary(), property));

    /// <summary>Small dimension sizes, 1..max.</summary>
    public static Gen<int> Dim(int max = 4) => Gen.Choose(1, max);

    /// <summary>A shape of rank 1..maxRank with dimensions 1..maxDim.</summary>
    public static Gen<int[]> ShapeGen(int maxRank = 4, int maxDim = 4) =>
        from r in Gen.Choose(1, maxRank)
        from d in Gen.ArrayOf(Dim(maxDim), r)
        select d;

    /// <summary>A shape (see <see cref="ShapeGen"/>) and a seed.</summary>
    public static Gen<(int[] Shape, int Seed)> ShapeAndSeed(int maxRank = 4, int maxDim = 4) =>
        from s in ShapeGen(maxRank, maxDim)
        from seed in Seed
        select (s, seed);

    /// <summary>A seed for tensors drawn with <see cref="Rng"/>.</summary>
    public static Gen<int> Seed => Gen.Choose(0, 1_000_000);

    /// <summary>Asserts that the gradient check of <paramref name="f"/> passes in float64 at random inputs of the given shapes.</summary>
    public static void Gradient(string name, Func<IReadOnlyList<Var>, Var> f, int seed, params int[][] shapes)
    {
        var keys = Rng.Seed(seed).Split(shapes.Length + 1);
        var xs = shapes.Select((s, i) => Tensor.RandomNormal(keys[i], s, dtype: DType.Float64)).ToArray();
        GradCheck.Assert(name, f, xs, keys[^1]);
    }

    /// <summary>
    /// A broadcast-compatible partner for <paramref name="shape"/>: a suffix of it, with some
    /// dimensions set to 1, chosen by <paramref name="bits"/>.
    /// </summary>
    public static int[] BroadcastPartner(int[] shape, int bits)
    {
        int drop = bits % (shape.Length + 1);
        var s = shape[drop..];
        for (int i = 0; i < s.Length; i++) if (((bits >> (i + 3)) & 1) == 1) s[i] = 1;
        return s;
    }
}
