using System.Text;
using Cnn.Autodiff;
using FsCheck;
using FsCheck.Fluent;

namespace Cnn.Testing;

/// <summary>
/// Laws that every differentiable function, op and layer must obey, each usable in one line: a law called
/// at one point returns a <see cref="LawResult"/> (call <see cref="LawResult.ThrowIfFailed"/> to assert);
/// <see cref="Check{T}"/> runs a law over generated cases with FsCheck, shrinks a failure to the smallest
/// case and throws a <see cref="LawException"/> naming the law, the subject, that case and the worst error.
/// Nothing here depends on a test framework.
/// </summary>
/// <remarks>
/// Gradient tolerances come from <see cref="GradCheckOptions.For"/>: float64 step 1e-6, tolerance 1e-6
/// (relative, below a scale of 1e-3 absolute); float32 step 1e-2, tolerance 2e-2 (below 1e-1 absolute).
/// Equality laws use <see cref="Tolerance.For"/>. Check in float64 whenever the subject allows it.
/// </remarks>
public static partial class Laws
{
    // Elements examined when localising a gradient error (two evaluations each).
    private const int MaxLocatedElements = 4096;

    /// <summary>
    /// The gradient law: for a random cotangent c and tangent t per input, &lt;c, J t&gt; by central differences
    /// equals &lt;J^T c, t&gt; from the pullback (<see cref="Autodiff.GradCheck"/>). On failure the report also
    /// compares, for the worst input, every element of J^T c with its own finite-difference estimate and
    /// names the element with the largest discrepancy.
    /// </summary>
    /// <param name="name">The op or function, with its settings, as it should appear in a report.</param>
    /// <param name="seed">Draws c and t.</param>
    /// <param name="inputNames">Names of the inputs for the report (default "input 0", "input 1", ...).</param>
    public static LawResult Gradient(string name, Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, int seed = 0,
        GradCheckOptions? options = null, IReadOnlyList<string>? inputNames = null)
    {
        const string law = "gradient";
        GradCheckResult r;
        try
        {
            r = Autodiff.GradCheck.Check(name, f, xs, Rng.Seed(seed), options);
        }
        catch (Exception e)
        {
            return LawResult.Threw(law, name, e);
        }
        if (r.Passed) return LawResult.Pass(law, name, Options(r), r);
        var w = r.Worst;
        return LawResult.Fail(law, name, PerInput(r, inputNames),
            () => Locate(f, xs, w.Input, Rng.Seed(seed).Split().Item2, r.Options.Step, InputName(inputNames, w.Input)), r);
    }

    /// <summary>
    /// The second-order law (<see cref="Autodiff.GradCheck.CheckSecondOrder"/>): the gradient of
    /// x -&gt; &lt;grad s(x), u&gt; from differentiating the recorded backward pass matches finite differences,
    /// where s = f when f is scalar and s = sum(f(x)^2) / 2 otherwise. The report names the worst input.
    /// </summary>
    public static LawResult SecondOrder(string name, Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, int seed = 0,
        GradCheckOptions? options = null, IReadOnlyList<string>? inputNames = null)
    {
        const string law = "second-order gradient";
        GradCheckResult r;
        try
        {
            r = Autodiff.GradCheck.CheckSecondOrder(name, Scalar(f), xs, Rng.Seed(seed), options);
        }
        catch (Exception e)
        {
            return LawResult.Threw(law, name, e);
        }
        return r.Passed
            ? LawResult.Pass(law, name, Options(r), r)
            : LawResult.Fail(law, name, PerInput(r, inputNames), null, r);
    }

    /// <summary>Checks <paramref name="law"/> on <paramref name="maxTest"/> generated cases; on failure shrinks and throws a <see cref="LawException"/>.</summary>
    public static void Check<T>(CaseGen<T> cases, Func<T, LawResult> law, int maxTest = 30)
    {
        // FsCheck adopts every failing shrink candidate, so the last failure it evaluates is the smallest one.
        (T Case, LawResult Result)? last = null;
        bool Holds(Sample<T> s)
        {
            LawResult r;
            try
            {
                r = law(s.Value);
            }
            catch (Exception e)
            {
                r = LawResult.Threw("property", s.Value?.ToString() ?? "null", e);
            }
            if (!r.Passed) last = (s.Value, r);
            return r.Passed;
        }
        try
        {
            FsCheck.Check.One(Config.QuickThrowOnFailure.WithQuietOnSuccess(true).WithMaxTest(maxTest), Prop.ForAll(cases.ToArbitrary(), (Func<Sample<T>, bool>)Holds));
        }
        catch (Exception e) when (last is not null)
        {
            var search = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
            throw new LawException(last.Value.Result, last.Value.Case, "FsCheck: " + search);
        }
    }

    /// <summary>The gradient law over generated input shapes, in <paramref name="dtype"/>, values from <paramref name="values"/>.</summary>
    public static void CheckGradient(string name, Func<IReadOnlyList<Var>, Var> f, CaseGen<InputsCase> inputs,
        DType dtype = DType.Float64, TensorValues? values = null, int maxTest = 30) =>
        Check(inputs, c => Gradient(name, f, (values ?? TensorValues.Normal).Inputs(c.Shapes, c.Seed, dtype), c.Seed), maxTest);

    /// <summary>The second-order law over generated input shapes (see <see cref="SecondOrder"/>).</summary>
    public static void CheckSecondOrder(string name, Func<IReadOnlyList<Var>, Var> f, CaseGen<InputsCase> inputs,
        DType dtype = DType.Float64, TensorValues? values = null, int maxTest = 20) =>
        Check(inputs, c => SecondOrder(name, f, (values ?? TensorValues.Normal).Inputs(c.Shapes, c.Seed, dtype), c.Seed), maxTest);

    private static Func<IReadOnlyList<Var>, Var> Scalar(Func<IReadOnlyList<Var>, Var> f) => xs =>
    {
        var y = f(xs);
        return y.Shape.Size == 1 && y.Rank == 0 ? y : Op.Sum(y * y) * 0.5;
    };

    private static string Options(GradCheckResult r) =>
        $"largest error {LawResult.Num(r.Worst.Error)} (tolerance {LawResult.Num(r.Options.Tolerance)}, step {LawResult.Num(r.Options.Step)})";

    private static string InputName(IReadOnlyList<string>? names, int i) =>
        names is not null && i < names.Count ? $"input {i} '{names[i]}'" : $"input {i}";

    private static string PerInput(GradCheckResult r, IReadOnlyList<string>? names)
    {
        var sb = new StringBuilder($"largest error {LawResult.Num(r.Worst.Error)} at {InputName(names, r.Worst.Input)} (tolerance {LawResult.Num(r.Options.Tolerance)}, step {LawResult.Num(r.Options.Step)})");
        foreach (var i in r.Inputs)
            sb.Append($"{Environment.NewLine}  {InputName(names, i.Input)} {i.Shape}: <c, J t> by finite differences {LawResult.Num(i.Numeric)}, <J^T c, t> by the pullback {LawResult.Num(i.Analytic)}, error {LawResult.Num(i.Error)} {(i.Within(r.Options.Tolerance) ? "ok" : "WRONG")}");
        return sb.ToString();
    }

    /// <summary>
    /// Every element k of J^T c for input <paramref name="input"/> against its central-difference estimate
    /// (&lt;c, f(x + h e_k)&gt; - &lt;c, f(x - h e_k)&gt;) / 2h; reports the element with the largest difference.
    /// </summary>
    private static string Locate(Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, int input, Rng rng, double h, string inputName)
    {
        try
        {
            var vars = xs.Select(x => new Var(x)).ToArray();
            var (y, pullback) = Diff.Vjp(f, vars);
            var c = Tensor.RandomNormal(rng, y.Shape, dtype: y.DType);
            var analytic = pullback(c)[input].Value;
            var x = xs[input];
            int count = Math.Min(x.Size, MaxLocatedElements), worst = 0;
            double worstDiff = -1, worstNumeric = 0;
            for (int k = 0; k < count; k++)
            {
                double numeric = (Dot(c, Eval(f, xs, input, k, h)) - Dot(c, Eval(f, xs, input, k, -h))) / (2 * h);
                double diff = Math.Abs(numeric - analytic.At(k));
                if (diff > worstDiff || double.IsNaN(diff))
                {
                    (worstDiff, worst, worstNumeric) = (diff, k, numeric);
                    if (double.IsNaN(diff)) break;
                }
            }
            return $"worst element of {inputName} {x.Shape}: {Index(x.Shape, worst)} (flat {worst}): (J^T c) by the pullback {LawResult.Num(analytic.At(worst))}, by finite differences {LawResult.Num(worstNumeric)}" +
                (count < x.Size ? $" (first {count} of {x.Size} elements examined)" : "");
        }
        catch (Exception e)
        {
            return $"(could not localise the error: {e.GetType().Name}: {e.Message})";
        }
    }

    private static Tensor Eval(Func<IReadOnlyList<Var>, Var> f, IReadOnlyList<Tensor> xs, int input, int k, double h)
    {
        var vs = new Var[xs.Count];
        for (int i = 0; i < vs.Length; i++) vs[i] = xs[i];
        var x = xs[input];
        vs[input] = Tensor.Generate(x.Shape, x.DType, j => j == k ? x.At(j) + h : x.At(j));
        return f(vs).Value;
    }

    private static double Dot(Tensor a, Tensor b)
    {
        double s = 0;
        for (int i = 0; i < a.Size; i++) s += a.At(i) * b.At(i);
        return s;
    }

    /// <summary>The multi-index of flat position <paramref name="flat"/>, as "[i, j, ...]".</summary>
    internal static string Index(Shape shape, int flat)
    {
        var idx = new int[shape.Rank];
        for (int a = shape.Rank - 1; a >= 0; a--)
        {
            int d = shape[a];
            idx[a] = d == 0 ? 0 : flat % d;
            flat = d == 0 ? 0 : flat / d;
        }
        return "[" + string.Join(", ", idx) + "]";
    }
}
