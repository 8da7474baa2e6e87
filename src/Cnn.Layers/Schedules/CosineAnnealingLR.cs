namespace Cnn.Layers;

/// <summary>
/// Linear warm-up followed by cosine annealing. With W = warmupSteps, T = totalSteps, f = warmupStartFactor:
/// <code>
/// lr(k) = baseLr * (f + (1 - f) * k / W)                                    for k &lt; W
/// lr(k) = etaMin + (baseLr - etaMin) * (1 + cos(pi * (k - W) / (T - W))) / 2  for W &lt;= k &lt;= T
/// lr(k) = etaMin                                                              for k > T
/// </code>
/// With W = 0 this is torch.optim.lr_scheduler.CosineAnnealingLR(T_max = T, eta_min); with W > 0 it is
/// SequentialLR([LinearLR(start_factor = f, total_iters = W), CosineAnnealingLR(T_max = T - W, eta_min)], milestones = [W]).
/// </summary>
/// <remarks>NOTE: past T the rate stays at etaMin, where PyTorch's CosineAnnealingLR would rise again along the cosine.</remarks>
public sealed record CosineAnnealingLR : ISchedule
{
    private const string Name = nameof(CosineAnnealingLR);

    public CosineAnnealingLR(double baseLr, int totalSteps, double etaMin = 0, int warmupSteps = 0, double warmupStartFactor = 1.0 / 3)
    {
        BaseLr = Trees.AtLeast(Name, nameof(baseLr), baseLr, 0);
        EtaMin = Trees.AtLeast(Name, nameof(etaMin), etaMin, 0);
        if (warmupSteps < 0 || totalSteps <= warmupSteps)
            throw new ArgumentOutOfRangeException(nameof(totalSteps), $"{Name} needs 0 <= warmupSteps < totalSteps but got warmupSteps {warmupSteps} and totalSteps {totalSteps}.");
        if (!(warmupStartFactor > 0 && warmupStartFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(warmupStartFactor), $"{Name} needs warmupStartFactor in (0, 1] (as LinearLR's start_factor) but got {warmupStartFactor}.");
        TotalSteps = totalSteps;
        WarmupSteps = warmupSteps;
        WarmupStartFactor = warmupStartFactor;
    }

    public double BaseLr { get; }
    public int TotalSteps { get; }
    public double EtaMin { get; }
    public int WarmupSteps { get; }
    public double WarmupStartFactor { get; }

    public double LearningRate(int step)
    {
        ScheduleChecks.Step(Name, step);
        if (step < WarmupSteps)
            return BaseLr * (WarmupStartFactor + (1 - WarmupStartFactor) * step / WarmupSteps);
        int k = Math.Min(step, TotalSteps) - WarmupSteps;
        return EtaMin + (BaseLr - EtaMin) * (1 + Math.Cos(Math.PI * k / (TotalSteps - WarmupSteps))) / 2;
    }
}
