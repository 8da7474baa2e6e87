using Cnn.Autodiff;

namespace Cnn.Facade;

/// <summary>A grid of sample images with their true and predicted labels, as SVG with embedded PNG images.</summary>
public static class SampleGrid
{
    /// <summary>
    /// Each image as an embedded PNG (data URI, drawn pixelated at <paramref name="scale"/> times its size),
    /// with its true label below and, when predictions are given, the prediction in green when right and red
    /// when wrong. Pixel values map to grey levels by the batch's overall min..max, so images stay comparable.
    /// </summary>
    /// <param name="images">[N, C, H, W] with C = 1 or 3</param>
    /// <param name="truth">N labels</param>
    /// <param name="predicted">N predictions, or empty for none</param>
    /// <param name="classNames">Names of the classes; the class numbers when null.</param>
    public static string ToSvg(Tensor images, ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted,
        IReadOnlyList<string>? classNames = null, int columns = 8, int scale = 3)
    {
        if (images.Rank != 4 || images.Shape[1] is not (1 or 3))
            throw new ArgumentException($"SampleGrid.ToSvg expects images [N, C, H, W] with C = 1 or 3 but got {images.Shape}.", nameof(images));
        int n = images.Shape[0], c = images.Shape[1], h = images.Shape[2], w = images.Shape[3];
        if (truth.Length != n || (predicted.Length != 0 && predicted.Length != n))
            throw new ArgumentException($"SampleGrid.ToSvg expects {n} labels and {n} (or no) predictions but got {truth.Length} and {predicted.Length}.");
        if (columns <= 0 || scale <= 0)
            throw new ArgumentException($"SampleGrid.ToSvg expects columns > 0 and scale > 0 but got {columns} and {scale}.");
        string Name(int k) => Svg.Escape(classNames is not null && (uint)k < (uint)classNames.Count ? classNames[k] : k.ToString());

        var all = images.ToDoubleArray();
        var (lo, hi) = Canvas.MinMax(all);
        int cols = Math.Max(1, Math.Min(columns, n)), rows = Math.Max(1, (n + cols - 1) / cols);
        int labelLines = predicted.Length > 0 ? 2 : 1;
        double cellW = Math.Max(w * scale, 84) + 10, cellH = h * scale + 8 + 14 * labelLines + 6;
        var sb = Svg.Begin(cols * cellW, rows * cellH);
        int size = c * h * w;
        for (int i = 0; i < n; i++)
        {
            double x = i % cols * cellW, y = i / cols * cellH;
            var tile = new Canvas(w, h, c);
            tile.DrawTile(all.AsSpan(i * size, size), h, w, 0, 0, 1, lo, hi);
            var uri = "data:image/png;base64," + Convert.ToBase64String(Png.Encode(tile));
            double ix = x + (cellW - w * scale) / 2;
            sb.Append($"<image class=\"sample\" x=\"{Svg.F(ix)}\" y=\"{Svg.F(y + 6)}\" width=\"{w * scale}\" height=\"{h * scale}\" style=\"image-rendering:pixelated\" preserveAspectRatio=\"none\" href=\"{uri}\"/>\n");
            double ty = y + 6 + h * scale + 14;
            sb.Append($"<text x=\"{Svg.F(x + cellW / 2)}\" y=\"{Svg.F(ty)}\" text-anchor=\"middle\" font-size=\"11\">{Name(truth[i])}</text>\n");
            if (predicted.Length > 0)
            {
                bool right = predicted[i] == truth[i];
                sb.Append($"<text x=\"{Svg.F(x + cellW / 2)}\" y=\"{Svg.F(ty + 14)}\" text-anchor=\"middle\" font-size=\"11\" fill=\"{(right ? "#1a7f37" : "#cf222e")}\">{(right ? "" : "pred: ")}{Name(predicted[i])}</text>\n");
            }
        }
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
