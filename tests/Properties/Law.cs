using Cnn.Autodiff;
using Cnn.Testing;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Properties;

/// <summary>
/// FsCheck generators and runners for the property tests written against FsCheck's <see cref="Gen{T}"/>;
/// the laws themselves come from Cnn.Testing (<see cref="Laws"/>), whose own generators (<see cref="CaseGen{T}"/>)
/// newer tests use directly.
/// </summary>
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

    /// <summary>
    /// Asserts the gradient law (<see cref="Laws.Gradient"/>) for <paramref name="f"/> in float64 at standard normal
    /// inputs of the given shapes drawn from <paramref name="seed"/>; a failure names the worst input and element.
    /// </summary>
    public static void Gradient(string name, Func<IReadOnlyList<Var>, Var> f, int seed, params int[][] shapes) =>
        Laws.Gradient(name, f, TensorValues.Normal.Inputs([.. shapes.Select(s => (Shape)s)], seed), seed).ThrowIfFailed();

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
