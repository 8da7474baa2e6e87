using System.Collections.Immutable;
using System.Globalization;

namespace Cnn.Autodiff;

/// <summary>Step and tolerance of a gradient check.</summary>
/// <param name="Step">Finite-difference step h.</param>
/// <param name="Tolerance">Largest accepted error |numeric - analytic| / max(|numeric|, |analytic|, Floor).</param>
/// <param name="Floor">Scale below which errors are measured absolutely (so near-zero products do not fail on noise).</param>
public sealed record GradCheckOptions(double Step, double Tolerance, double Floor)
{
    /// <summary>
    /// Defaults by element type. float64: h = 1e-6, tolerance 1e-6 (central differences are accurate to
    /// about h^2 plus rounding eps/h). float32: h = 1e-2, tolerance 2e-2, because float32 rounding
    /// (about 1e-7 relative) divided by h dominates; check in float64 when the op allows it.
    /// </summary>
    public static GradCheckOptions For(DType dtype) =>
        dtype == DType.Float64 ? new(1e-6, 1e-6, 1e-3) : new(1e-2, 2e-2, 1e-1);
}

/// <summary>The outcome of a gradient check for one input.</summary>
/// <param name="Input">Index of the input the tangent was placed on.</param>
/// <param name="Numeric">&lt;c, J t&gt; by central differences.</param>
/// <param name="Analytic">&lt;J^T c, t&gt; from the pullback.</param>
/// <param name="Error">Scaled difference |numeric - analytic| / max(|numeric|, |analytic|, floor), compared with the tolerance.</param>
/// <param name="Noise">
/// Rounding noise of the central difference itself, about 32 eps (sum |c f(x + h t)| + sum |c f(x - h t)|) / 2h:
/// a difference no larger than this is accepted whatever the tolerance, because the finite difference
/// cannot resolve it (it matters when the two sides nearly cancel).
/// </param>
public sealed record GradCheckInputResult(int Input, Shape Shape, double Numeric, double Analytic, double Error, double Noise)
{
    /// <summary>True when the error is within <paramref name="tolerance"/> or the difference is within the rounding noise.</summary>
    public bool Within(double tolerance) => double.IsFinite(Error) && (Error <= tolerance || Math.Abs(Numeric - Analytic) <= Noise);
}

/// <summary>The outcome of a gradient check of a named function.</summary>
public sealed record GradCheckResult(string Name, ImmutableArray<GradCheckInputResult> Inputs, GradCheckOptions Options)
{
    /// <summary>True when every input's error is within the tolerance.</summary>
    public bool Passed => Inputs.All(r => r.Within(Options.Tolerance));

    /// <summary>The input with the largest error.</summary>
    public GradCheckInputResult Worst => Inputs.MaxBy(r => double.IsNaN(r.Error) ? double.PositiveInfinity : r.Error)!;

    public override string ToString()
    {
        var w = Worst;
        var ic = CultureInfo.InvariantCulture;
        return (Passed ? "passed" : "FAILED") +
            $": gradient of {Name} with respect to input {w.Input} {w.Shape}: <c, J t> by central differences = {w.Numeric.ToString("G10", ic)}, " +
            $"<J^T c, t> from the pullback = {w.Analytic.ToString("G10", ic)}, error {w.Error.ToString("G3", ic)} (tolerance {Options.Tolerance.ToString("G3", ic)}, step {Options.Step.ToString("G3", ic)}, rounding noise {w.Noise.ToString("G3", ic)})";
    }
}

/// <summary>Thrown when a gradient check fails; the message names the function, the input and the error.</summary>
public sealed class GradCheckException(GradCheckResult result) : Exception(result.ToString())
{
    public GradCheckResult Result { get; } = result;
}

/// <summary>
/// The dot-product gradient test: for random tangents t and a random cotangent c, the directional
/// derivative <c>&lt;c, J t&gt;</c> computed by central differences must equal <c>&lt;J^T c, t&gt;</c>
/// computed by the pullback. One number per input checks the whole Jacobian against the pullback in
/// a random direction, so a wrong entry anywhere is found with probability one. An input that fails is
/// differenced again at a tenth of the step, and passes if that agrees (a kink crossed by the step).
/// </summary>
public static class GradCheck
{
    /// <summary>Checks the pullback of <paramref name="f"/> at <paramref name="xs"/> for each input in turn.</summary>
    /// <param name="name">Names the op or function in the result.</param>
    public static GradCheckResult Check(string name, Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, Rng rng, GradCheckOptions? options = null)
    {
        if (xs.Count == 0) throw new ArgumentException("GradCheck needs at least one input.");
        var opts = options ?? GradCheckOptions.For(xs[0].DType);
        var vars = xs.Select(x => new Var(x)).ToArray();
        var (y, pullback) = Diff.Vjp(f, vars);
        var keys = rng.Split(xs.Count + 1);
        var c = Tensor.RandomNormal(keys[0], y.Shape, dtype: y.DType);
        var cotangents = pullback(c);

        var results = ImmutableArray.CreateBuilder<GradCheckInputResult>(xs.Count);
        for (int i = 0; i < xs.Count; i++)
        {
            var t = Tensor.RandomNormal(keys[i + 1], xs[i].Shape, dtype: xs[i].DType);
            double analytic = Dot(cotangents[i].Value, t).Value;
            var r = Compare(f, vars, i, t, c, analytic, opts.Step, opts);
            // NOTE: a kink (relu, max, abs) within the step of an input moves the central difference by a fraction
            // of the derivative; a tenth of the step no longer crosses it, while a wrong pullback fails at every step.
            if (!r.Within(opts.Tolerance) && Compare(f, vars, i, t, c, analytic, opts.Step / 10, opts) is { } finer && finer.Within(opts.Tolerance))
                r = finer;
            results.Add(r);
        }
        return new GradCheckResult(name, results.MoveToImmutable(), opts);
    }

    // Input i's directional derivative along t by central differences with step h, against the pullback's.
    private static GradCheckInputResult Compare(Func<IReadOnlyList<Var>, Var> f, Var[] vars, int i, Tensor t, Tensor c, double analytic, double h, GradCheckOptions opts)
    {
        var (plus, plusMagnitude) = Dot(c, f(Shifted(vars, i, t, h)).Value);
        var (minus, minusMagnitude) = Dot(c, f(Shifted(vars, i, t, -h)).Value);
        double numeric = (plus - minus) / (2 * h);
        double error = Math.Abs(numeric - analytic) / Math.Max(Math.Max(Math.Abs(numeric), Math.Abs(analytic)), opts.Floor);
        double eps = vars[i].Value.DType == DType.Float64 ? 2.220446049250313e-16 : 1.1920928955078125e-7; // machine epsilon, 2^-52 and 2^-23
        double noise = 32 * eps * (plusMagnitude + minusMagnitude) / (2 * h);
        return new GradCheckInputResult(i, vars[i].Value.Shape, numeric, analytic, error, noise);
    }

    /// <summary>Like <see cref="Check"/>, but throws a <see cref="GradCheckException"/> on failure.</summary>
    public static GradCheckResult Assert(string name, Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, Rng rng, GradCheckOptions? options = null)
    {
        var r = Check(name, f, xs, rng, options);
        return r.Passed ? r : throw new GradCheckException(r);
    }

    /// <summary>
    /// Checks second derivatives: the gradient of x -&gt; &lt;grad f(x), u&gt; (a Hessian-vector
    /// product, computed by differentiating the recorded backward pass) against finite differences.
    /// <paramref name="f"/> must return a scalar.
    /// </summary>
    public static GradCheckResult CheckSecondOrder(string name, Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, Rng rng, GradCheckOptions? options = null)
    {
        var (ku, kc) = rng.Split();
        var us = xs.Select((x, i) => Tensor.RandomNormal(ku.Split(xs.Count)[i], x.Shape, dtype: x.DType)).ToArray();
        Var GradDotU(IReadOnlyList<Var> vs)
        {
            var (_, gs) = Diff.ValueAndGrad(f, vs.ToArray());
            Var acc = Op.Sum(Op.Multiply(gs[0], us[0]));
            for (int i = 1; i < gs.Length; i++) acc = acc + Op.Sum(Op.Multiply(gs[i], us[i]));
            return acc;
        }
        return Check($"second order of {name}", GradDotU, xs, kc, options);
    }

    private static Var[] Shifted(Var[] xs, int i, Tensor t, double h)
    {
        var s = (Var[])xs.Clone();
        s[i] = new Var(Axpy(xs[i].Value, t, h));
        return s;
    }

    private static Tensor Axpy(Tensor x, Tensor t, double h) =>
        Tensor.Generate(x.Shape, x.DType, k => x.At(k) + h * t.At(k));

    // <a, b> and sum |a b|, the scale of its rounding error.
    private static (double Value, double Magnitude) Dot(Tensor a, Tensor b)
    {
        double s = 0, m = 0;
        for (int k = 0; k < a.Size; k++)
        {
            double p = a.At(k) * b.At(k);
            s += p;
            m += Math.Abs(p);
        }
        return (s, m);
    }
}
