using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Cnn.Facade;

/// <summary>
/// Training progress on a console. On a terminal a bar is redrawn in place after each step (epoch, step/steps,
/// loss, accuracy, images per second, time left) and each epoch leaves one summary line; when the output is
/// redirected to a file or pipe only the summary lines are written, one per epoch.
/// </summary>
public sealed class ConsoleProgress : IProgress<TrainingProgress>
{
    private const int BarWidth = 24;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _out;
    private readonly Stopwatch _sinceDraw = new();
    private int _drawnWidth;

    /// <param name="output">Where to write; the console when null.</param>
    /// <param name="redirected">Whether to write one line per epoch instead of a live bar; when null, <see cref="Console.IsOutputRedirected"/> for the console and true for any other writer.</param>
    public ConsoleProgress(TextWriter? output = null, bool? redirected = null)
    {
        _out = output ?? Console.Out;
        Redirected = redirected ?? (output is null ? Console.IsOutputRedirected : true);
    }

    /// <summary>True when only one line per epoch is written.</summary>
    public bool Redirected { get; }

    public void Report(TrainingProgress value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Kind == ProgressKind.EpochEnd)
        {
            var line = EpochLine(value);
            if (!Redirected) line = "\r" + line.PadRight(_drawnWidth);
            _out.WriteLine(line);
            _out.Flush();
            _drawnWidth = 0;
            return;
        }
        if (Redirected) return;
        bool last = value.Step == value.StepsPerEpoch;
        if (_sinceDraw.IsRunning && _sinceDraw.Elapsed < RedrawInterval && !last) return;
        var bar = Bar(value);
        _out.Write("\r" + bar.PadRight(_drawnWidth));
        _out.Flush();
        _drawnWidth = bar.Length;
        _sinceDraw.Restart();
    }

    /// <summary>The live line: <c>epoch 1/2 [#####.....] 312/938 loss 0.5123 acc 81.2% 1234 img/s 0:42 left</c>.</summary>
    public static string Bar(TrainingProgress p)
    {
        int filled = p.StepsPerEpoch == 0 ? BarWidth : (int)((long)BarWidth * p.Step / p.StepsPerEpoch);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs} [");
        sb.Append('#', filled).Append('.', BarWidth - filled);
        sb.Append(CultureInfo.InvariantCulture,
            $"] {p.Step}/{p.StepsPerEpoch}  loss {p.Loss:F4}  acc {p.Accuracy * 100:F1}%  {p.ImagesPerSecond:F0} img/s  {Clock(p.Remaining)} left");
        return sb.ToString();
    }

    /// <summary>The line written at the end of an epoch, with validation metrics when there are some.</summary>
    public static string EpochLine(TrainingProgress p)
    {
        var e = p.Summary;
        if (e is null) return Bar(p);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"epoch {e.Epoch}/{p.Epochs}  loss {e.TrainLoss:F4}  acc {e.TrainAccuracy * 100:F2}%");
        if (e.ValidationLoss is double vl)
            sb.Append(CultureInfo.InvariantCulture, $"  val loss {vl:F4}  val acc {e.ValidationAccuracy * 100:F2}%");
        sb.Append(CultureInfo.InvariantCulture, $"  lr {e.LearningRate:G3}  {e.Seconds:F1} s  {e.ImagesPerSecond:F0} img/s");
        return sb.ToString();
    }

    private static string Clock(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
