namespace Cnn.Layers;

/// <summary>
/// A learning-rate schedule as a pure function of the step (or epoch) count: <see cref="LearningRate"/>(k) is
/// the rate for the update after k calls of PyTorch's <c>scheduler.step()</c>, so step 0 is the first update.
/// Pass it to <see cref="IOptimizer.Step"/> as its learning rate.
/// </summary>
public interface ISchedule
{
    /// <summary>The learning rate at <paramref name="step"/> (>= 0).</summary>
    double LearningRate(int step);
}

/// <summary>Argument checks shared by the schedules.</summary>
internal static class ScheduleChecks
{
    internal static int Step(string op, int step) =>
        step >= 0 ? step : throw new ArgumentOutOfRangeException(nameof(step), $"{op}.LearningRate needs a step >= 0 but got {step}.");

    internal static int Positive(string op, string name, int value) =>
        value > 0 ? value : throw new ArgumentOutOfRangeException(name, $"{op} needs {name} > 0 but got {value}.");
}

/// <summary>lr = baseLr * gamma^floor(step / stepSize), as torch.optim.lr_scheduler.StepLR.</summary>
public sealed record StepLR : ISchedule
{
    public StepLR(double baseLr, int stepSize, double gamma = 0.1)
    {
        BaseLr = Trees.AtLeast(nameof(StepLR), nameof(baseLr), baseLr, 0);
        StepSize = ScheduleChecks.Positive(nameof(StepLR), nameof(stepSize), stepSize);
        Gamma = Trees.AtLeast(nameof(StepLR), nameof(gamma), gamma, 0);
    }

    public double BaseLr { get; }
    public int StepSize { get; }
    public double Gamma { get; }

    public double LearningRate(int step) => BaseLr * Math.Pow(Gamma, ScheduleChecks.Step(nameof(StepLR), step) / StepSize);
}

/// <summary>
/// lr = baseLr * gamma^(number of milestones &lt;= step), as torch.optim.lr_scheduler.MultiStepLR; a milestone
/// listed twice counts twice.
/// </summary>
public sealed record MultiStepLR : ISchedule
{
    private readonly int[] _milestones;

    public MultiStepLR(double baseLr, IEnumerable<int> milestones, double gamma = 0.1)
    {
        BaseLr = Trees.AtLeast(nameof(MultiStepLR), nameof(baseLr), baseLr, 0);
        _milestones = milestones.Order().ToArray();
        if (_milestones.Length > 0 && _milestones[0] < 0)
            throw new ArgumentOutOfRangeException(nameof(milestones), $"MultiStepLR needs milestones >= 0 but got {_milestones[0]}.");
        Gamma = Trees.AtLeast(nameof(MultiStepLR), nameof(gamma), gamma, 0);
    }

    public double BaseLr { get; }

    /// <summary>The milestones, sorted.</summary>
    public IReadOnlyList<int> Milestones => _milestones;

    public double Gamma { get; }

    public double LearningRate(int step)
    {
        ScheduleChecks.Step(nameof(MultiStepLR), step);
        int passed = 0;
        while (passed < _milestones.Length && _milestones[passed] <= step) passed++;
        return BaseLr * Math.Pow(Gamma, passed);
    }

    public bool Equals(MultiStepLR? other) =>
        other is not null && BaseLr == other.BaseLr && Gamma == other.Gamma && _milestones.AsSpan().SequenceEqual(other._milestones);

    public override int GetHashCode() => HashCode.Combine(BaseLr, Gamma, _milestones.Length);
}

/// <summary>lr = baseLr * gamma^step, as torch.optim.lr_scheduler.ExponentialLR.</summary>
public sealed record ExponentialLR : ISchedule
{
    public ExponentialLR(double baseLr, double gamma)
    {
        BaseLr = Trees.AtLeast(nameof(ExponentialLR), nameof(baseLr), baseLr, 0);
        Gamma = Trees.AtLeast(nameof(ExponentialLR), nameof(gamma), gamma, 0);
    }

    public double BaseLr { get; }
    public double Gamma { get; }

    public double LearningRate(int step) => BaseLr * Math.Pow(Gamma, ScheduleChecks.Step(nameof(ExponentialLR), step));
}
