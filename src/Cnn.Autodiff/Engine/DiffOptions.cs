namespace Cnn.Autodiff;

/// <summary>Settings of one differentiation, passed explicitly (there is no global switch).</summary>
/// <param name="DetectAnomalies">
/// When true, every value recorded on the tape and every cotangent the backward pass computes is checked
/// as soon as it exists, and the first NaN or infinity stops the run with an <see cref="AnomalyException"/>
/// that names the op, its tape position and its input shapes. It costs a pass over every value; use it to
/// find where a loss went NaN, not in every run. Values computed outside the differentiation (constants)
/// are not checked.
/// </param>
/// <param name="ReleaseIntermediates">
/// When true, the memory of every intermediate value the differentiated function computes is reused as soon as
/// the backward pass no longer needs it, as a training step in PyTorch frees its activations; a training loop
/// then allocates almost nothing new per step. The value and the gradients returned are kept, as are the
/// function's inputs and anything it did not record on the tape; reading a released intermediate afterwards
/// (say, an activation the function stored in a field) throws an <see cref="InvalidOperationException"/>:
/// keep a <see cref="Tensor.Copy"/> of what you need. Ignored for nested differentiations (gradients of gradients).
/// </param>
public sealed record DiffOptions(bool DetectAnomalies = false, bool ReleaseIntermediates = false)
{
    /// <summary>No anomaly detection.</summary>
    public static DiffOptions Default { get; } = new();
}

/// <summary>Where an anomaly was found.</summary>
public enum AnomalyPhase
{
    /// <summary>An op's output value.</summary>
    Forward,
    /// <summary>A cotangent an op's pullback returned for one of its inputs.</summary>
    Backward,
}

/// <summary>A NaN or infinity found by anomaly detection (<see cref="DiffOptions.DetectAnomalies"/>).</summary>
public sealed class AnomalyException(string message, string op, int tapePosition, AnomalyPhase phase) : ArithmeticException(message)
{
    /// <summary>The op whose forward value or pullback produced the first non-finite number.</summary>
    public string Op { get; } = op;

    /// <summary>The op's position on the tape (its <c>%N</c> in the trace).</summary>
    public int TapePosition { get; } = tapePosition;

    public AnomalyPhase Phase { get; } = phase;

    internal static void ThrowIfNotFinite(Tensor t, TapeEntry e, AnomalyPhase phase, int input = -1)
    {
        int bad = FirstNonFinite(t);
        if (bad < 0) return;
        var inputs = string.Join(", ", e.InputVars.Select(v => v.DType.ShortName() + v.Shape));
        var what = phase == AnomalyPhase.Forward
            ? $"the output of {e.Op} (tape position %{e.Index}, inputs {inputs})"
            : $"the gradient that {e.Op} (tape position %{e.Index}, inputs {inputs}) passes back to its input {input} {e.InputVars[input].Shape}";
        throw new AnomalyException(
            $"Anomaly detected: {what} holds {Describe(t.At(bad))} at flat element {bad} of {t.DType.ShortName()}{t.Shape}. " +
            (phase == AnomalyPhase.Forward
                ? "Check the op's inputs for out-of-domain values (log or sqrt of a non-positive number, division by zero, overflow of exp)."
                : "The forward values were finite, so the derivative itself overflows or is undefined here (e.g. sqrt at 0, a huge learning rate)."),
            e.Op, e.Index, phase);
    }

    private static int FirstNonFinite(Tensor t)
    {
        for (int i = 0; i < t.Size; i++)
            if (!double.IsFinite(t.At(i))) return i;
        return -1;
    }

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+infinity" : "-infinity";
}
