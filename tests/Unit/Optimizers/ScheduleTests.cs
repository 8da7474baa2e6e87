using Cnn.Layers;

namespace Cnn.Unit.Optimizers;

public class ScheduleTests
{
    [Fact]
    public void StepLR_DecaysEveryStepSize()
    {
        var s = new StepLR(1.0, stepSize: 3, gamma: 0.5);
        Assert.Equal([1, 1, 1, 0.5, 0.5, 0.5, 0.25], Enumerable.Range(0, 7).Select(s.LearningRate));
    }

    [Fact]
    public void MultiStepLR_UnsortedAndRepeatedMilestones_CountEachTime()
    {
        var s = new MultiStepLR(1.0, [5, 2, 5], gamma: 0.1);
        Assert.Equal([2, 5, 5], s.Milestones);
        Assert.Equal(1.0, s.LearningRate(1));
        Assert.Equal(0.1, s.LearningRate(2), 15);
        Assert.Equal(0.001, s.LearningRate(5), 15);
    }

    [Fact]
    public void MultiStepLR_SameSettings_AreEqual() =>
        Assert.Equal(new MultiStepLR(0.1, [3, 1]), new MultiStepLR(0.1, [1, 3]));

    [Fact]
    public void CosineAnnealingLR_Warmup_RisesLinearlyThenFallsToEtaMinAndStays()
    {
        var s = new CosineAnnealingLR(1.0, totalSteps: 14, etaMin: 0.1, warmupSteps: 4, warmupStartFactor: 0.2);
        Assert.Equal(0.2, s.LearningRate(0), 15);
        Assert.Equal(0.6, s.LearningRate(2), 15);
        Assert.Equal(1.0, s.LearningRate(4), 15);
        Assert.Equal(0.55, s.LearningRate(9), 15);
        Assert.Equal(0.1, s.LearningRate(14), 15);
        Assert.Equal(0.1, s.LearningRate(100), 15);
    }

    [Fact]
    public void OneCycleLR_Defaults_StartPeakEnd()
    {
        var s = new OneCycleLR(1.0, totalSteps: 100);
        Assert.Equal(1.0 / 25, s.LearningRate(0), 15);
        Assert.Equal(1.0, s.LearningRate(29), 15);
        Assert.Equal(1.0 / 25 / 1e4, s.LearningRate(99), 15);
        Assert.Contains("built for 100 steps but was asked for step 101", Assert.Throws<ArgumentOutOfRangeException>(() => s.LearningRate(101)).Message);
    }

    [Fact]
    public void Schedules_BadArguments_Throw()
    {
        Assert.Contains("stepSize > 0 but got 0", Assert.Throws<ArgumentOutOfRangeException>(() => new StepLR(0.1, 0)).Message);
        Assert.Contains("baseLr >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(-0.1, 0.9)).Message);
        Assert.Contains("milestones >= 0", Assert.Throws<ArgumentOutOfRangeException>(() => new MultiStepLR(0.1, [-1, 3])).Message);
        Assert.Contains("0 <= warmupSteps < totalSteps but got warmupSteps 10 and totalSteps 10",
            Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(0.1, 10, warmupSteps: 10)).Message);
        Assert.Contains("warmupStartFactor in (0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new CosineAnnealingLR(0.1, 10, warmupSteps: 2, warmupStartFactor: 0)).Message);
        Assert.Contains("pctStart in [0, 1]", Assert.Throws<ArgumentOutOfRangeException>(() => new OneCycleLR(0.1, 10, pctStart: 1.5)).Message);
        Assert.Contains("phase of zero length", Assert.Throws<ArgumentException>(() => new OneCycleLR(0.1, 10, pctStart: 0.1)).Message);
        Assert.Contains("step >= 0 but got -1", Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialLR(0.1, 0.9).LearningRate(-1)).Message);
        Assert.Contains("factor in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => new ReduceLROnPlateau(factor: 1)).Message);
    }

    [Fact]
    public void ReduceLROnPlateau_PatienceThenCooldown_ReducesAtTheRightEpochs()
    {
        var s = new ReduceLROnPlateau(factor: 0.5, patience: 1, cooldown: 1, minLr: 0.2);
        var state = s.Init(1.0);
        var lrs = new List<double>();
        foreach (var m in new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0 })
        {
            (var lr, state) = s.Update(m, state);
            lrs.Add(lr);
        }
        // epoch 0 sets best; two bad epochs (2 > patience 1) reduce; one cooldown epoch; then two bad again.
        Assert.Equal([1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25], lrs);
        Assert.Equal(1.0, state.Best);
        var (floor, _) = s.Update(1.0, state with { NumBadEpochs = 5 });
        Assert.Equal(0.2, floor);
    }

    [Fact]
    public void ReduceLROnPlateau_UpdateIsPure()
    {
        var s = new ReduceLROnPlateau(patience: 0);
        var state = s.Init(0.1);
        var (a, sa) = s.Update(1.0, state);
        var (b, sb) = s.Update(1.0, state);
        Assert.Equal((a, sa), (b, sb));
        Assert.Equal(double.PositiveInfinity, state.Best);
    }
}
