using Cnn.Autodiff;

namespace Cnn.Testing;

/// <summary>
/// How test tensors get their values from a random key. By default standard normal. <see cref="Margin"/>
/// keeps every value at least that far from 0 (away from the kinks of relu, abs, leaky relu);
/// <see cref="Distinct"/> makes all values of a tensor distinct and at least <see cref="Spacing"/> apart
/// (no ties in a max or a max-pool window, even after a finite-difference step).
/// </summary>
/// <param name="Margin">Smallest |x|: x = n + sign(n) Margin for normal n, or added outward to the distinct grid.</param>
/// <param name="Distinct">A random permutation of the grid Spacing * (k - floor(n/2) + 1/2), k = 0..n-1 (never 0), instead of normal samples.</param>
/// <param name="Spacing">Gap between distinct values.</param>
public sealed record TensorValues(double Margin = 0, bool Distinct = false, double Spacing = 0.1)
{
    /// <summary>Standard normal values.</summary>
    public static TensorValues Normal { get; } = new();

    /// <summary>Normal values pushed at least <paramref name="margin"/> away from 0.</summary>
    public static TensorValues AwayFromZero(double margin = 0.1) => new(Margin: margin);

    /// <summary>Distinct values at least <paramref name="spacing"/> apart, none closer to 0 than half of it.</summary>
    public static TensorValues Untied(double spacing = 0.1) => new(Distinct: true, Spacing: spacing);

    /// <summary>A tensor of <paramref name="shape"/> and <paramref name="dtype"/> whose values come from <paramref name="rng"/>.</summary>
    public Tensor Sample(Shape shape, DType dtype, Rng rng)
    {
        if (Distinct)
        {
            int n = shape.Size;
            var perm = rng.Permutation(n);
            return Tensor.Generate(shape, dtype, i =>
            {
                double c = perm[i] - n / 2 + 0.5;
                return Spacing * c + Math.Sign(c) * Margin;
            });
        }
        return Tensor.Generate(shape, dtype, i =>
        {
            double v = rng.Normal(i);
            return Margin > 0 ? v + (v < 0 ? -Margin : Margin) : v;
        });
    }

    /// <summary>One tensor per shape, each from its own key derived from <paramref name="seed"/>.</summary>
    public Tensor[] Inputs(IReadOnlyList<Shape> shapes, int seed, DType dtype = DType.Float64)
    {
        var keys = Rng.Seed(seed).Split(shapes.Count);
        var xs = new Tensor[shapes.Count];
        for (int i = 0; i < xs.Length; i++) xs[i] = Sample(shapes[i], dtype, keys[i]);
        return xs;
    }
}
