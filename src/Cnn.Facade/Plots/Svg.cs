using System.Globalization;
using System.Text;

namespace Cnn.Facade;

/// <summary>Small helpers shared by the SVG pictures: number formatting, escaping, axis ticks.</summary>
internal static class Svg
{
    /// <summary>A coordinate with at most two decimals, invariant culture.</summary>
    public static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A fraction as a percentage with a fixed number of decimals: 0.8125 gives "81.3%".</summary>
    public static string Percent(double fraction, int decimals = 1) =>
        (100 * fraction).ToString("F" + decimals, CultureInfo.InvariantCulture) + "%";

    /// <summary>Text safe inside an XML element or attribute.</summary>
    public static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
            sb.Append(ch switch { '<' => "&lt;", '>' => "&gt;", '&' => "&amp;", '"' => "&quot;", '\'' => "&apos;", _ => ch.ToString() });
        return sb.ToString();
    }

    /// <summary>The document header: an <c>svg</c> element of the given size with a white background and a sans-serif font.</summary>
    public static StringBuilder Begin(double width, double height)
    {
        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{F(width)}\" height=\"{F(height)}\" viewBox=\"0 0 {F(width)} {F(height)}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        sb.Append($"<rect width=\"{F(width)}\" height=\"{F(height)}\" fill=\"white\"/>\n");
        return sb;
    }

    /// <summary>
    /// Axis ticks covering lo..hi at a "nice" step (1, 2 or 5 times a power of ten) with about
    /// <paramref name="target"/> intervals; the returned range is widened to whole steps.
    /// </summary>
    public static (double Lo, double Hi, double Step) NiceTicks(double lo, double hi, int target = 5)
    {
        if (!(hi > lo))
        {
            double pad = lo == 0 ? 1 : Math.Abs(lo) * 0.1;
            lo -= pad;
            hi += pad;
        }
        double raw = (hi - lo) / target;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / mag;
        double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
        return (Math.Floor(lo / step + 1e-9) * step, Math.Ceiling(hi / step - 1e-9) * step, step);
    }

    /// <summary>The tick positions lo, lo + step, ... up to hi (included despite rounding in the sum).</summary>
    public static IEnumerable<double> TickValues(double lo, double hi, double step)
    {
        for (double v = lo; v <= hi + step * 1e-6; v += step) yield return v;
    }

    /// <summary>A tick label with as many decimals as the step needs.</summary>
    public static string Tick(double v, double step)
    {
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return Math.Round(v, decimals).ToString("F" + decimals, CultureInfo.InvariantCulture);
    }
}
