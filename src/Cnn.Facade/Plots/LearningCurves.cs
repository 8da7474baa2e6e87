using System.Text;

namespace Cnn.Facade;

/// <summary>Learning curves as SVG: loss and accuracy per epoch, training and validation series.</summary>
public static class LearningCurves
{
    /// <summary>The metrics of one epoch; missing series are null (NaN values are skipped too).</summary>
    public readonly record struct Epoch(int Number, double TrainLoss, double? ValidationLoss = null,
        double? TrainAccuracy = null, double? ValidationAccuracy = null);

    private const string TrainColour = "#1f77b4", ValidationColour = "#ff7f0e";

    /// <summary>
    /// An SVG with a loss panel and, when any accuracy is present, an accuracy panel: epochs on x, ticks and
    /// labels on both axes, training solid and validation dashed, a legend in each panel. Each series is a
    /// <c>polyline</c> with <c>class="series"</c> and <c>data-series</c> naming it ("train loss", ...).
    /// </summary>
    public static string ToSvg(IReadOnlyList<Epoch> history, int panelWidth = 440, int panelHeight = 320)
    {
        if (history.Count == 0)
            throw new ArgumentException("LearningCurves.ToSvg expects at least one epoch but the history is empty.", nameof(history));
        var lossSeries = new List<(string, string, bool, (double X, double Y)[])>
        {
            ("train loss", TrainColour, false, Points(history, e => e.TrainLoss)),
            ("validation loss", ValidationColour, true, Points(history, e => e.ValidationLoss)),
        };
        var accSeries = new List<(string, string, bool, (double, double)[])>
        {
            ("train accuracy", TrainColour, false, Points(history, e => e.TrainAccuracy)),
            ("validation accuracy", ValidationColour, true, Points(history, e => e.ValidationAccuracy)),
        };
        lossSeries.RemoveAll(s => s.Item4.Length == 0);
        accSeries.RemoveAll(s => s.Item4.Length == 0);
        int panels = accSeries.Count > 0 ? 2 : 1;
        var sb = Svg.Begin(panels * panelWidth, panelHeight);
        Panel(sb, 0, panelWidth, panelHeight, "Loss", lossSeries);
        if (panels == 2) Panel(sb, panelWidth, panelWidth, panelHeight, "Accuracy", accSeries);
        sb.Append("</svg>\n");
        return sb.ToString();
    }

    private static (double X, double Y)[] Points(IReadOnlyList<Epoch> history, Func<Epoch, double?> pick)
    {
        var list = new List<(double, double)>();
        foreach (var e in history)
            if (pick(e) is double v && double.IsFinite(v)) list.Add((e.Number, v));
        return list.ToArray();
    }

    private static void Panel(StringBuilder sb, double left, double width, double height, string title,
        List<(string Name, string Colour, bool Dashed, (double X, double Y)[] Points)> series)
    {
        const double marginLeft = 56, marginRight = 16, marginTop = 48, marginBottom = 44;
        double x0 = left + marginLeft, x1 = left + width - marginRight, y0 = height - marginBottom, y1 = marginTop;
        sb.Append($"<text x=\"{Svg.F((x0 + x1) / 2)}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{title}</text>\n");
        if (series.Count == 0)
        {
            sb.Append($"<text x=\"{Svg.F((x0 + x1) / 2)}\" y=\"{Svg.F((y0 + y1) / 2)}\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n");
            return;
        }
        double xmin = double.PositiveInfinity, xmax = double.NegativeInfinity, ymin = double.PositiveInfinity, ymax = double.NegativeInfinity;
        foreach (var s in series)
            foreach (var (x, y) in s.Points)
            {
                xmin = Math.Min(xmin, x); xmax = Math.Max(xmax, x);
                ymin = Math.Min(ymin, y); ymax = Math.Max(ymax, y);
            }
        var (xlo, xhi, xstep) = Svg.NiceTicks(xmin, xmax, 8);
        xstep = Math.Max(1, xstep);   // NOTE: epochs are whole numbers, so x ticks never fall between them.
        xlo = Math.Floor(xlo / xstep) * xstep;
        xhi = Math.Max(xlo + xstep, Math.Ceiling(xhi / xstep) * xstep);
        var (ylo, yhi, ystep) = Svg.NiceTicks(ymin, ymax, 5);
        double Sx(double x) => x0 + (x - xlo) / (xhi - xlo) * (x1 - x0);
        double Sy(double y) => y0 - (y - ylo) / (yhi - ylo) * (y0 - y1);

        // Grid lines and ticks.
        sb.Append("<g class=\"axes\" stroke=\"#ddd\" stroke-width=\"1\">\n");
        foreach (double y in Svg.TickValues(ylo, yhi, ystep))
            sb.Append($"<line x1=\"{Svg.F(x0)}\" y1=\"{Svg.F(Sy(y))}\" x2=\"{Svg.F(x1)}\" y2=\"{Svg.F(Sy(y))}\"/>\n");
        foreach (double x in Svg.TickValues(xlo, xhi, xstep))
            sb.Append($"<line x1=\"{Svg.F(Sx(x))}\" y1=\"{Svg.F(y0)}\" x2=\"{Svg.F(Sx(x))}\" y2=\"{Svg.F(y1)}\"/>\n");
        sb.Append("</g>\n");
        sb.Append($"<rect x=\"{Svg.F(x0)}\" y=\"{Svg.F(y1)}\" width=\"{Svg.F(x1 - x0)}\" height=\"{Svg.F(y0 - y1)}\" fill=\"none\" stroke=\"black\"/>\n");
        sb.Append("<g class=\"ticks\" font-size=\"11\">\n");
        foreach (double y in Svg.TickValues(ylo, yhi, ystep))
            sb.Append($"<text x=\"{Svg.F(x0 - 6)}\" y=\"{Svg.F(Sy(y) + 4)}\" text-anchor=\"end\">{Svg.Tick(y, ystep)}</text>\n");
        foreach (double x in Svg.TickValues(xlo, xhi, xstep))
            sb.Append($"<text x=\"{Svg.F(Sx(x))}\" y=\"{Svg.F(y0 + 16)}\" text-anchor=\"middle\">{Svg.Tick(x, xstep)}</text>\n");
        sb.Append("</g>\n");
        sb.Append($"<text x=\"{Svg.F((x0 + x1) / 2)}\" y=\"{Svg.F(height - 8)}\" text-anchor=\"middle\">epoch</text>\n");
        sb.Append($"<text transform=\"translate({Svg.F(left + 14)} {Svg.F((y0 + y1) / 2)}) rotate(-90)\" text-anchor=\"middle\">{title.ToLowerInvariant()}</text>\n");

        foreach (var s in series)
        {
            var dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            sb.Append($"<polyline class=\"series\" data-series=\"{s.Name}\" fill=\"none\" stroke=\"{s.Colour}\" stroke-width=\"2\"{dash} points=\"");
            for (int i = 0; i < s.Points.Length; i++)
                sb.Append(i > 0 ? " " : "").Append(Svg.F(Sx(s.Points[i].X))).Append(',').Append(Svg.F(Sy(s.Points[i].Y)));
            sb.Append("\"/>\n");
            foreach (var (x, y) in s.Points)
                sb.Append($"<circle cx=\"{Svg.F(Sx(x))}\" cy=\"{Svg.F(Sy(y))}\" r=\"2.5\" fill=\"{s.Colour}\"/>\n");
        }

        // Legend: one row between the title and the plot, so it never hides a curve.
        sb.Append("<g class=\"legend\">\n");
        double lx = x0;
        foreach (var s in series)
        {
            var dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            sb.Append($"<line x1=\"{Svg.F(lx)}\" y1=\"{Svg.F(y1 - 10)}\" x2=\"{Svg.F(lx + 28)}\" y2=\"{Svg.F(y1 - 10)}\" stroke=\"{s.Colour}\" stroke-width=\"2\"{dash}/>\n");
            sb.Append($"<text x=\"{Svg.F(lx + 34)}\" y=\"{Svg.F(y1 - 6)}\">{s.Name}</text>\n");
            lx += 34 + 7 * s.Name.Length + 18;
        }
        sb.Append("</g>\n");
    }
}
