using Cnn.Autodiff;

namespace Cnn.Facade.Data;

/// <summary>Key derivation for the data pipeline.</summary>
public static class RngFold
{
    /// <summary>
    /// A fresh key for index <paramref name="i"/> under <paramref name="rng"/> (JAX's fold_in): the same (key, i)
    /// always gives the same key, different i give independent keys.
    /// </summary>
    public static Rng Fold(this Rng rng, long i) => new(rng.Bits(i));
}
