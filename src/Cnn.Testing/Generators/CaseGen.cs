using System.Collections.Immutable;
using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Testing;

/// <summary>Thrown by <see cref="Draw.Assume"/> to discard a case; the generator draws again.</summary>
public sealed class RejectedCaseException() : Exception("The case was rejected by Draw.Assume or CaseGen.Where.");

/// <summary>
/// The source of choices a <see cref="CaseGen{T}"/> builds its case from: bounded integers only. While
/// generating, each integer is random; while shrinking, the recorded integers are replayed with some of them
/// lowered. Everything a case holds (sizes, settings, the seed its tensor values come from) is a function
/// of these integers, so lowering them shrinks the case toward the smallest one that still fails.
/// </summary>
public sealed class Draw
{
    private readonly Rng? _rng;
    private readonly ImmutableArray<int> _replay;
    private readonly List<int> _choices = [];

    internal Draw(Rng rng) => _rng = rng;

    internal Draw(ImmutableArray<int> replay) => _replay = replay;

    /// <summary>The choices made so far, as offsets from each draw's lower bound.</summary>
    internal ImmutableArray<int> Choices => [.. _choices];

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>]; shrinks toward <paramref name="min"/>.</summary>
    public int Int(int min, int max)
    {
        if (max < min) throw new ArgumentException($"Draw.Int expects min <= max but got [{min}, {max}].");
        int i = _choices.Count, range = max - min;
        // NOTE: a replayed choice larger than the range (possible when an earlier choice shrank) is clamped; a missing one is the minimum.
        int offset = _rng is Rng r ? (int)(r.Bits(i) % ((ulong)range + 1)) : i < _replay.Length ? Math.Min(_replay[i], range) : 0;
        _choices.Add(offset);
        return min + offset;
    }

    /// <summary>False or true; shrinks toward false.</summary>
    public bool Bool() => Int(0, 1) == 1;

    /// <summary>One of <paramref name="items"/>; shrinks toward the first.</summary>
    public T Element<T>(params IReadOnlyList<T> items) =>
        items.Count > 0 ? items[Int(0, items.Count - 1)] : throw new ArgumentException("Draw.Element needs at least one item.");

    /// <summary>Discards the case unless <paramref name="condition"/> holds (a fresh one is drawn).</summary>
    public void Assume(bool condition)
    {
        if (!condition) throw new RejectedCaseException();
    }

    /// <summary>A value of <paramref name="gen"/>, drawn from this same choice sequence.</summary>
    public T From<T>(CaseGen<T> gen) => gen.Run(this);
}

/// <summary>A generated case together with the integer choices it was built from (which is what shrinking lowers).</summary>
public sealed record Sample<T>(T Value, ImmutableArray<int> Choices, int Shrinks)
{
    /// <summary>Sum of the choices: every shrink step lowers it, so shrinking always ends.</summary>
    public long Cost => Choices.Sum(c => (long)c);

    public override string ToString() => Value?.ToString() ?? "null";
}

/// <summary>
/// A generator of test cases that shrinks well: a case is built from a sequence of bounded integers (see
/// <see cref="Draw"/>), and shrinking lowers those integers one at a time and rebuilds the case, so a failure
/// found at [3, 4, 7, 5] with stride 3 is reported at, say, [1, 1, 2, 2] with stride 2. Compose with LINQ
/// (<c>from</c>, <c>select</c>, <c>where</c>) like an FsCheck <see cref="Gen{T}"/>; use
/// <see cref="ToArbitrary"/> with FsCheck directly or <see cref="Laws.Check{T}"/>.
/// </summary>
public sealed class CaseGen<T>
{
    // Bounds the work a shrink can do: after this many successful steps no further candidates are offered.
    private const int MaxShrinks = 200;
    private const int MaxRejections = 1000;

    internal CaseGen(Func<Draw, T> run) => Run = run;

    internal Func<Draw, T> Run { get; }

    public CaseGen<TOut> Select<TOut>(Func<T, TOut> f) => new(d => f(Run(d)));

    public CaseGen<TOut> SelectMany<TOut>(Func<T, CaseGen<TOut>> bind) => new(d => bind(Run(d)).Run(d));

    public CaseGen<TOut> SelectMany<TMid, TOut>(Func<T, CaseGen<TMid>> bind, Func<T, TMid, TOut> project) =>
        new(d =>
        {
            var a = Run(d);
            return project(a, bind(a).Run(d));
        });

    /// <summary>Only the cases satisfying <paramref name="keep"/> (others are drawn again); keep rejections rare.</summary>
    public CaseGen<T> Where(Func<T, bool> keep) =>
        new(d =>
        {
            var v = Run(d);
            d.Assume(keep(v));
            return v;
        });

    /// <summary>The case drawn from <paramref name="seed"/>: the same seed always gives the same case.</summary>
    public Sample<T> Generate(int seed)
    {
        var root = Rng.Seed(seed);
        for (int attempt = 0; attempt < MaxRejections; attempt++)
        {
            var d = new Draw(new Rng(root.Bits(attempt)));
            try
            {
                var v = Run(d);
                return new Sample<T>(v, d.Choices, 0);
            }
            catch (RejectedCaseException)
            {
            }
        }
        throw new InvalidOperationException($"CaseGen<{typeof(T).Name}> rejected {MaxRejections} cases in a row: its Where / Assume conditions almost never hold; build the constraint into the draws instead.");
    }

    /// <summary>
    /// Smaller cases: each choice in turn set to its minimum, halved, or (when small) lowered by one,
    /// rebuilt; candidates that are rejected or not strictly cheaper are skipped.
    /// </summary>
    public IEnumerable<Sample<T>> Shrink(Sample<T> sample)
    {
        if (sample.Shrinks >= MaxShrinks) yield break;
        long cost = sample.Cost;
        for (int i = 0; i < sample.Choices.Length; i++)
        {
            int c = sample.Choices[i];
            if (c == 0) continue;
            foreach (int lower in Lower(c))
            {
                var s = Replay(sample.Choices.SetItem(i, lower), sample.Shrinks + 1);
                if (s is not null && s.Cost < cost) yield return s;
            }
        }
    }

    private static IEnumerable<int> Lower(int c)
    {
        yield return 0;
        if (c / 2 > 0) yield return c / 2;
        // NOTE: stepping down by one only for small choices (sizes, settings); large ones (seeds) only halve, so shrinking stays logarithmic.
        if (c <= 16 && c - 1 > c / 2) yield return c - 1;
    }

    private Sample<T>? Replay(ImmutableArray<int> choices, int shrinks)
    {
        var d = new Draw(choices);
        try
        {
            var v = Run(d);
            return new Sample<T>(v, d.Choices, shrinks);
        }
        catch (RejectedCaseException)
        {
            return null;
        }
    }

    /// <summary>An FsCheck arbitrary with this generator and its shrinker.</summary>
    public Arbitrary<Sample<T>> ToArbitrary() =>
        Arb.ToArbitrary(Gen.Choose(0, int.MaxValue - 1).Select(s => Generate(s)), new Func<Sample<T>, IEnumerable<Sample<T>>>(Shrink));

    /// <summary>The plain FsCheck generator of values (without shrinking).</summary>
    public Gen<T> ToGen() => Gen.Choose(0, int.MaxValue - 1).Select(s => Generate(s).Value);
}
