namespace Cnn.Layers;

/// <summary>Whether a smaller or a larger metric is an improvement.</summary>
public enum PlateauMode
{
    Min,
    Max,
}

/// <summary>How <see cref="ReduceLROnPlateau"/> compares a metric with the best so far.</summary>
public enum ThresholdMode
{
    /// <summary>Better means beyond best * (1 ∓ threshold).</summary>
    Rel,

    /// <summary>Better means beyond best ∓ threshold.</summary>
    Abs,
}

/// <summary>
/// The state of <see cref="ReduceLROnPlateau"/> between updates: the current rate, the best metric so far,
/// the count of epochs without improvement and the epochs of cooldown left.
/// </summary>
public readonly record struct PlateauState(double Lr, double Best, int NumBadEpochs, int CooldownCounter);

/// <summary>
/// Lowers the rate by <c>factor</c> when the metric has not improved for more than <c>patience</c> updates, as
/// torch.optim.lr_scheduler.ReduceLROnPlateau; after a reduction, <c>cooldown</c> updates pass before bad
/// epochs count again. The rate never goes below <c>minLr</c>, and a reduction smaller than <c>eps</c> is skipped.
/// </summary>
public sealed record ReduceLROnPlateau
{
    private const string Name = nameof(ReduceLROnPlateau);

    public ReduceLROnPlateau(PlateauMode mode = PlateauMode.Min, double factor = 0.1, int patience = 10, double threshold = 1e-4,
        ThresholdMode thresholdMode = ThresholdMode.Rel, int cooldown = 0, double minLr = 0, double eps = 1e-8)
    {
        if (!(factor >= 0 && factor < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), $"{Name} needs factor in [0, 1) but got {factor}.");
        if (patience < 0)
            throw new ArgumentOutOfRangeException(nameof(patience), $"{Name} needs patience >= 0 but got {patience}.");
        if (cooldown < 0)
            throw new ArgumentOutOfRangeException(nameof(cooldown), $"{Name} needs cooldown >= 0 but got {cooldown}.");
        Mode = mode;
        Factor = factor;
        Patience = patience;
        Threshold = Trees.AtLeast(Name, nameof(threshold), threshold, 0);
        ThresholdMode = thresholdMode;
        Cooldown = cooldown;
        MinLr = Trees.AtLeast(Name, nameof(minLr), minLr, 0);
        Eps = Trees.AtLeast(Name, nameof(eps), eps, 0);
    }

    public PlateauMode Mode { get; }
    public double Factor { get; }
    public int Patience { get; }
    public double Threshold { get; }
    public ThresholdMode ThresholdMode { get; }
    public int Cooldown { get; }
    public double MinLr { get; }
    public double Eps { get; }

    /// <summary>The state before the first metric: rate <paramref name="lr"/> and the worst possible best.</summary>
    public PlateauState Init(double lr) =>
        new(Trees.AtLeast(Name, nameof(lr), lr, 0), Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity, 0, 0);

    /// <summary>The rate after seeing <paramref name="metric"/> (for the next epoch), and the next state.</summary>
    public (double Lr, PlateauState State) Update(double metric, PlateauState state)
    {
        var (lr, best, bad, cooldown) = state;
        if (IsBetter(metric, best))
        {
            best = metric;
            bad = 0;
        }
        else
            bad++;
        if (cooldown > 0)
        {
            cooldown--;
            bad = 0;
        }
        if (bad > Patience)
        {
            double reduced = Math.Max(lr * Factor, MinLr);
            if (lr - reduced > Eps) lr = reduced;
            cooldown = Cooldown;
            bad = 0;
        }
        return (lr, new PlateauState(lr, best, bad, cooldown));
    }

    // NOTE: a NaN metric is never better, so it counts as a bad epoch (as in PyTorch).
    private bool IsBetter(double metric, double best) => (Mode, ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => metric < best * (1 - Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => metric < best - Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => metric > best * (1 + Threshold),
        _ => metric > best + Threshold,
    };
}
