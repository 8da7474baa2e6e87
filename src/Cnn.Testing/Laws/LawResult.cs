using System.Globalization;
using Cnn.Autodiff;

namespace Cnn.Testing;

/// <summary>
/// The verdict of one law at one case: which law, about what, passed or not, and a report. A failing
/// gradient law's report also locates the worst element (computed on first reading, since it costs one
/// pair of evaluations per element).
/// </summary>
public sealed class LawResult
{
    private readonly Lazy<string> _report;

    internal LawResult(string law, string subject, bool passed, string summary, Func<string>? explain = null, GradCheckResult? gradCheck = null)
    {
        GradCheck = gradCheck;
        Law = law;
        Subject = subject;
        Passed = passed;
        Summary = summary;
        _report = new(() => explain is null || passed ? summary : summary + Environment.NewLine + explain());
    }

    /// <summary>The law's name, e.g. "gradient" or "output shape".</summary>
    public string Law { get; }

    /// <summary>The op, function or layer (with its settings) the law was checked for.</summary>
    public string Subject { get; }

    public bool Passed { get; }

    /// <summary>One-paragraph outcome (cheap to compute).</summary>
    public string Summary { get; }

    /// <summary>The summary and, on failure, the localisation of the error (e.g. the worst element of the worst input).</summary>
    public string Report => _report.Value;

    /// <summary>The gradient check behind a gradient or second-order law, if any.</summary>
    public GradCheckResult? GradCheck { get; }

    /// <summary>This result when it passed; otherwise throws a <see cref="LawException"/> with the report.</summary>
    public LawResult ThrowIfFailed() => Passed ? this : throw new LawException(this, null, null);

    public override string ToString() => Report;

    /// <summary>A passed law; use with <see cref="Laws.Check{T}"/> for laws of your own.</summary>
    public static LawResult Pass(string law, string subject, string summary = "") => Pass(law, subject, summary, null);

    /// <summary>A failed law with a one-paragraph <paramref name="summary"/> of what went wrong.</summary>
    public static LawResult Fail(string law, string subject, string summary) => Fail(law, subject, summary, null, null);

    /// <summary>Passed when <paramref name="holds"/>, else failed with <paramref name="summary"/>.</summary>
    public static LawResult Of(bool holds, string law, string subject, string summary) => holds ? Pass(law, subject) : Fail(law, subject, summary);

    internal static LawResult Pass(string law, string subject, string summary, GradCheckResult? gradCheck) =>
        new(law, subject, true, $"passed: {law} law for {subject}" + (summary.Length > 0 ? ": " + summary : ""), null, gradCheck);

    internal static LawResult Fail(string law, string subject, string summary, Func<string>? explain, GradCheckResult? gradCheck = null) =>
        new(law, subject, false, $"FAILED: {law} law for {subject}: {summary}", explain, gradCheck);

    internal static LawResult Threw(string law, string subject, Exception e) =>
        Fail(law, subject, $"threw {e.GetType().Name}: {e.Message}");

    internal static string Num(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

/// <summary>A law failed; the message names the law, the subject, the (shrunk) case and the report.</summary>
public sealed class LawException(LawResult result, object? shrunkCase, string? search) : Exception(Format(result, shrunkCase, search))
{
    public LawResult Result { get; } = result;

    /// <summary>The smallest failing case FsCheck's shrinking found (null when the law was called directly).</summary>
    public object? Case { get; } = shrunkCase;

    private static string Format(LawResult r, object? c, string? search) =>
        $"{r.Law} law failed for {r.Subject}" +
        (c is null ? "" : $"{Environment.NewLine}smallest failing case: {c}") +
        $"{Environment.NewLine}{r.Report}" +
        (search is null ? "" : $"{Environment.NewLine}({search})");
}

/// <summary>
/// Tolerances of the equality laws (batch consistency, translation equivariance): |a - b| &lt;= Absolute + Relative |b|.
/// Defaults: float64 relative 1e-10, absolute 1e-12 (a different summation order moves a few ulps);
/// float32 relative 1e-4, absolute 1e-5.
/// </summary>
public sealed record Tolerance(double Relative, double Absolute)
{
    public static Tolerance For(DType dtype) => dtype == DType.Float64 ? new(1e-10, 1e-12) : new(1e-4, 1e-5);

    internal bool Close(double a, double b) => Math.Abs(a - b) <= Absolute + Relative * Math.Abs(b) || (double.IsNaN(a) && double.IsNaN(b));
}
