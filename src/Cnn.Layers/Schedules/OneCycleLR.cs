namespace Cnn.Layers;

/// <summary>How <see cref="OneCycleLR"/> moves between two rates within a phase.</summary>
public enum Anneal
{
    /// <summary>end + (start - end) * (1 + cos(pi * pct)) / 2.</summary>
    Cos,

    /// <summary>start + (end - start) * pct.</summary>
    Linear,
}

/// <summary>
/// The 1cycle policy (Smith and Topin), as torch.optim.lr_scheduler.OneCycleLR. With initial = maxLr / divFactor
/// and min = initial / finalDivFactor, the rate anneals initial → maxLr over the first pctStart of the steps,
/// then maxLr → min; with threePhase, initial → maxLr → initial → min, the middle phase as long as the first.
/// Phase boundaries are at step pctStart * totalSteps - 1 (and 2 * pctStart * totalSteps - 2) and totalSteps - 1.
/// </summary>
/// <remarks>
/// NOTE: PyTorch's momentum cycling (cycle_momentum, base_momentum, max_momentum) is not part of this schedule:
/// it returns a learning rate only. Like PyTorch, step totalSteps is still accepted and steps beyond it are an error.
/// </remarks>
public sealed record OneCycleLR : ISchedule
{
    private const string Name = nameof(OneCycleLR);

    public OneCycleLR(double maxLr, int totalSteps, double pctStart = 0.3, Anneal anneal = Anneal.Cos,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false)
    {
        MaxLr = Trees.AtLeast(Name, nameof(maxLr), maxLr, 0);
        TotalSteps = ScheduleChecks.Positive(Name, nameof(totalSteps), totalSteps);
        if (!(pctStart >= 0 && pctStart <= 1))
            throw new ArgumentOutOfRangeException(nameof(pctStart), $"{Name} needs pctStart in [0, 1] but got {pctStart}.");
        PctStart = pctStart;
        Anneal = anneal;
        DivFactor = Positive(nameof(divFactor), divFactor);
        FinalDivFactor = Positive(nameof(finalDivFactor), finalDivFactor);
        ThreePhase = threePhase;
        foreach (var (start, end, _, _) in Phases())
            if (end == start)
                throw new ArgumentException($"{Name} with totalSteps {totalSteps} and pctStart {pctStart} has a phase of zero length (it would divide by zero): change pctStart or totalSteps.", nameof(pctStart));
    }

    public double MaxLr { get; }
    public int TotalSteps { get; }
    public double PctStart { get; }
    public Anneal Anneal { get; }
    public double DivFactor { get; }
    public double FinalDivFactor { get; }
    public bool ThreePhase { get; }

    public double LearningRate(int step)
    {
        ScheduleChecks.Step(Name, step);
        if (step > TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), $"{Name} was built for {TotalSteps} steps but was asked for step {step}: raise totalSteps.");
        var phases = Phases();
        int i = 0;
        while (i < phases.Length - 1 && step > phases[i].End) i++;
        var (start, end, from, to) = phases[i];
        double pct = (step - start) / (end - start);
        return Anneal == Anneal.Cos ? to + (from - to) / 2.0 * (Math.Cos(Math.PI * pct) + 1) : (to - from) * pct + from;
    }

    /// <summary>(start step, end step, rate at start, rate at end) of each phase; a phase starts where the previous ends.</summary>
    private (double Start, double End, double From, double To)[] Phases()
    {
        double initial = MaxLr / DivFactor, min = initial / FinalDivFactor, up = PctStart * TotalSteps - 1;
        return ThreePhase
            ?
            [
                (0, up, initial, MaxLr),
                (up, 2 * PctStart * TotalSteps - 2, MaxLr, initial),
                (2 * PctStart * TotalSteps - 2, TotalSteps - 1, initial, min),
            ]
            : [(0, up, initial, MaxLr), (up, TotalSteps - 1, MaxLr, min)];
    }

    private static double Positive(string name, double value) =>
        value > 0 && !double.IsInfinity(value) ? value : throw new ArgumentOutOfRangeException(name, $"{Name} needs {name} > 0 but got {value}.");
}
