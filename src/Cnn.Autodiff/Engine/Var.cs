namespace Cnn.Autodiff;

/// <summary>
/// A differentiable value: a tensor, and, while a differentiation records, its place on the tape.
/// Outside a differentiation a Var is a constant (no tape) and ops on it cost nothing extra.
/// Tensors convert to constant Vars implicitly.
/// </summary>
public sealed class Var
{
    internal Var(Tensor value, Tape? tape, int index)
    {
        Value = value;
        Tape = tape;
        Index = index;
    }

    /// <summary>A constant: a value that nothing is recorded for.</summary>
    public Var(Tensor value) : this(value, null, -1) { }

    /// <summary>The value.</summary>
    public Tensor Value { get; }

    /// <summary>The tape this value is recorded on, or null for a constant.</summary>
    internal Tape? Tape { get; }

    /// <summary>Position on the tape (-1 for a constant).</summary>
    internal int Index { get; }

    /// <summary>True while this value is being recorded (it depends on a differentiated input).</summary>
    public bool IsRecorded => Tape is not null;

    public Shape Shape => Value.Shape;
    public DType DType => Value.DType;
    public int Rank => Value.Rank;

    public static implicit operator Var(Tensor t) => new(t);

    public static Var operator +(Var a, Var b) => Op.Add(a, b);
    public static Var operator -(Var a, Var b) => Op.Subtract(a, b);
    public static Var operator *(Var a, Var b) => Op.Multiply(a, b);
    public static Var operator /(Var a, Var b) => Op.Divide(a, b);
    public static Var operator -(Var a) => Op.Negate(a);
    public static Var operator +(Var a, double b) => Op.Add(a, a.Scalar(b));
    public static Var operator +(double a, Var b) => Op.Add(b.Scalar(a), b);
    public static Var operator -(Var a, double b) => Op.Subtract(a, a.Scalar(b));
    public static Var operator -(double a, Var b) => Op.Subtract(b.Scalar(a), b);
    public static Var operator *(Var a, double b) => Op.Multiply(a, a.Scalar(b));
    public static Var operator *(double a, Var b) => Op.Multiply(b.Scalar(a), b);
    public static Var operator /(Var a, double b) => Op.Multiply(a, a.Scalar(1.0 / b));
    public static Var operator /(double a, Var b) => Op.Divide(b.Scalar(a), b);

    /// <summary>A constant scalar of this value's element type.</summary>
    internal Var Scalar(double v) => new(Tensor.Scalar(v, DType));

    public override string ToString() => IsRecorded ? $"%{Index} = {Value}" : Value.ToString();
}
