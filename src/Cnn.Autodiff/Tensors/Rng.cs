namespace Cnn.Autodiff;

/// <summary>
/// An explicit, splittable random key (counter-based, in the manner of JAX's PRNG keys): a value, not
/// a stateful generator. The same key always yields the same numbers; <see cref="Split()"/> derives
/// independent keys. Element <c>i</c> of a generated tensor depends only on the key and <c>i</c>, so
/// generation is deterministic whatever the thread count.
/// </summary>
public readonly record struct Rng(ulong Key)
{
    /// <summary>A key from a seed.</summary>
    public static Rng Seed(long seed) => new(Mix((ulong)seed ^ 0x9E3779B97F4A7C15UL));

    /// <summary>Two independent keys derived from this one.</summary>
    public (Rng, Rng) Split() => (new Rng(Mix(Key ^ 0xA0761D6478BD642FUL)), new Rng(Mix(Key ^ 0xE7037ED1A0B428DBUL)));

    /// <summary><paramref name="n"/> independent keys derived from this one.</summary>
    public Rng[] Split(int n)
    {
        var keys = new Rng[n];
        for (int i = 0; i < n; i++) keys[i] = new Rng(Mix(Key + (ulong)(i + 1) * 0xD1B54A32D192ED03UL));
        return keys;
    }

    /// <summary>The <paramref name="i"/>-th 64 random bits of this key's stream.</summary>
    public ulong Bits(long i) => Mix(Key + (ulong)i * 0x9E3779B97F4A7C15UL);

    /// <summary>The <paramref name="i"/>-th uniform number in [0, 1) of this key's stream (53 random bits).</summary>
    public double Uniform(long i) => (Bits(i) >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform integer in [0, <paramref name="n"/>) drawn with index <paramref name="i"/>.</summary>
    public int Int(long i, int n) => (int)((Bits(i) >> 33) % (ulong)n);

    /// <summary>The <paramref name="i"/>-th standard normal number (Box-Muller on two uniforms).</summary>
    public double Normal(long i)
    {
        double u1 = 1.0 - Uniform(2 * i), u2 = Uniform(2 * i + 1);
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A random permutation of 0..n-1 (Fisher-Yates driven by this key).</summary>
    public int[] Permutation(int n)
    {
        var p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = (int)(Bits(i) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        return p;
    }

    // SplitMix64 finaliser: a bijective, well-mixing function of 64 bits.
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
