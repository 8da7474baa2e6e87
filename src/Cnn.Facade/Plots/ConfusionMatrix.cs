using System.Collections.Immutable;

namespace Cnn.Facade;

/// <summary>
/// Counts of (true class, predicted class) pairs: <c>this[t, p]</c> is the number of samples of class t
/// predicted as p (rows are the truth, columns the prediction, as scikit-learn's confusion_matrix).
/// </summary>
/// <param name="Counts">[Classes * Classes], row-major by true class.</param>
public sealed record ConfusionMatrix(int Classes, ImmutableArray<long> Counts)
{
    /// <summary>The matrix of <paramref name="truth"/> against <paramref name="predicted"/>, labels in 0..classes-1.</summary>
    public static ConfusionMatrix From(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int classes)
    {
        if (classes <= 0)
            throw new ArgumentException($"ConfusionMatrix.From expects a positive number of classes but got {classes}.", nameof(classes));
        if (truth.Length != predicted.Length)
            throw new ArgumentException($"ConfusionMatrix.From expects as many predictions as labels but got {truth.Length} labels and {predicted.Length} predictions.");
        var counts = new long[classes * classes];
        for (int i = 0; i < truth.Length; i++)
        {
            int t = truth[i], p = predicted[i];
            if ((uint)t >= (uint)classes || (uint)p >= (uint)classes)
                throw new ArgumentException($"ConfusionMatrix.From expects labels in 0..{classes - 1} but sample {i} has truth {t} and prediction {p}; pass the right number of classes.");
            counts[t * classes + p]++;
        }
        return new ConfusionMatrix(classes, ImmutableArray.Create(counts));
    }

    /// <summary>The number of samples of class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => Counts[truth * Classes + predicted];

    /// <summary>The number of samples.</summary>
    public long Total
    {
        get
        {
            long n = 0;
            foreach (var c in Counts) n += c;
            return n;
        }
    }

    /// <summary>Correct predictions over all samples (the trace over the total; 0 when empty).</summary>
    public double Accuracy
    {
        get
        {
            long correct = 0;
            for (int c = 0; c < Classes; c++) correct += this[c, c];
            long total = Total;
            return total == 0 ? 0 : (double)correct / total;
        }
    }

    /// <summary>Samples of class <paramref name="c"/> (its row sum).</summary>
    public long Support(int c)
    {
        long n = 0;
        for (int p = 0; p < Classes; p++) n += this[c, p];
        return n;
    }

    /// <summary>Samples predicted as <paramref name="c"/> (its column sum).</summary>
    public long PredictedCount(int c)
    {
        long n = 0;
        for (int t = 0; t < Classes; t++) n += this[t, c];
        return n;
    }

    /// <summary>TP / (TP + FP) for class <paramref name="c"/>.</summary>
    /// <remarks>NOTE: 0 when nothing was predicted as c (scikit-learn's zero_division default).</remarks>
    public double Precision(int c)
    {
        long n = PredictedCount(c);
        return n == 0 ? 0 : (double)this[c, c] / n;
    }

    /// <summary>TP / (TP + FN) for class <paramref name="c"/>; 0 when the class has no samples.</summary>
    public double Recall(int c)
    {
        long n = Support(c);
        return n == 0 ? 0 : (double)this[c, c] / n;
    }

    /// <summary>
    /// The matrix as SVG: one cell per (truth, prediction) with its count, coloured from white to blue by the
    /// row-normalised value (the share of the true class), class names on both axes, recall per row on the
    /// right, precision per column below, and the accuracy in the title.
    /// </summary>
    /// <param name="classNames">One name per class; the class numbers when null.</param>
    public string ToSvg(IReadOnlyList<string>? classNames = null, int cell = 44)
    {
        if (classNames is not null && classNames.Count != Classes)
            throw new ArgumentException($"ConfusionMatrix.ToSvg expects {Classes} class names but got {classNames.Count}.", nameof(classNames));
        string Name(int c) => Svg.Escape(classNames?[c] ?? c.ToString());
        int longest = 1;
        for (int c = 0; c < Classes; c++) longest = Math.Max(longest, Name(c).Length);
        double labelRoom = 16 + 7 * longest, left = 24 + labelRoom, top = 40, size = cell * Classes;
        double width = left + size + 70, height = top + size + labelRoom + 40;
        var sb = Svg.Begin(width, height);
        sb.Append($"<text x=\"{Svg.F(left + size / 2)}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">Confusion matrix (accuracy {Svg.Percent(Accuracy, 2)})</text>\n");
        for (int t = 0; t < Classes; t++)
        {
            long support = Support(t);
            for (int p = 0; p < Classes; p++)
            {
                long n = this[t, p];
                double share = support == 0 ? 0 : (double)n / support;
                // White (share 0) to dark blue (share 1).
                int r = (int)Math.Round(255 - share * (255 - 8)), g = (int)Math.Round(255 - share * (255 - 48)), b = (int)Math.Round(255 - share * (255 - 107));
                double x = left + p * cell, y = top + t * cell;
                sb.Append($"<rect class=\"cell\" data-truth=\"{t}\" data-predicted=\"{p}\" x=\"{Svg.F(x)}\" y=\"{Svg.F(y)}\" width=\"{cell}\" height=\"{cell}\" fill=\"rgb({r},{g},{b})\" stroke=\"#ccc\"/>\n");
                sb.Append($"<text x=\"{Svg.F(x + cell / 2.0)}\" y=\"{Svg.F(y + cell / 2.0 + 4)}\" text-anchor=\"middle\" fill=\"{(share > 0.5 ? "white" : "black")}\">{n}</text>\n");
            }
            sb.Append($"<text x=\"{Svg.F(left - 6)}\" y=\"{Svg.F(top + t * cell + cell / 2.0 + 4)}\" text-anchor=\"end\">{Name(t)}</text>\n");
            sb.Append($"<text x=\"{Svg.F(left + size + 6)}\" y=\"{Svg.F(top + t * cell + cell / 2.0 + 4)}\" font-size=\"10\" fill=\"#555\">{Svg.Percent(Recall(t))}</text>\n");
        }
        for (int p = 0; p < Classes; p++)
        {
            double x = left + p * cell + cell / 2.0;
            sb.Append($"<text x=\"{Svg.F(x)}\" y=\"{Svg.F(top + size + 14)}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">{Svg.Percent(Precision(p))}</text>\n");
            sb.Append($"<text transform=\"translate({Svg.F(x + 4)} {Svg.F(top + size + 24)}) rotate(-90)\" text-anchor=\"end\">{Name(p)}</text>\n");
        }
        sb.Append($"<text transform=\"translate(14 {Svg.F(top + size / 2)}) rotate(-90)\" text-anchor=\"middle\" font-weight=\"bold\">true class</text>\n");
        sb.Append($"<text x=\"{Svg.F(left + size / 2)}\" y=\"{Svg.F(height - 8)}\" text-anchor=\"middle\" font-weight=\"bold\">predicted class</text>\n");
        sb.Append($"<text x=\"{Svg.F(left + size + 6)}\" y=\"{Svg.F(top - 6)}\" font-size=\"10\" fill=\"#555\">recall</text>\n");
        sb.Append($"<text x=\"{Svg.F(left - 6)}\" y=\"{Svg.F(top + size + 14)}\" text-anchor=\"end\" font-size=\"10\" fill=\"#555\">precision</text>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
