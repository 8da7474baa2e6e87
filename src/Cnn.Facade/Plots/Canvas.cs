using Cnn.Autodiff;

namespace Cnn.Facade;

/// <summary>A mutable 8-bit image, [Height, Width, Channels] row-major (1 = grayscale, 3 = RGB), to compose pictures before encoding them.</summary>
public sealed class Canvas
{
    /// <summary>A canvas filled with <paramref name="background"/> in every channel.</summary>
    public Canvas(int width, int height, int channels, byte background = 255)
    {
        if (channels is not (1 or 3))
            throw new ArgumentException($"Canvas expects 1 (grayscale) or 3 (RGB) channels but got {channels}.", nameof(channels));
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"Canvas expects a positive width and height but got {width} x {height}.");
        Width = width;
        Height = height;
        Channels = channels;
        Pixels = new byte[width * height * channels];
        Array.Fill(Pixels, background);
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>The pixels, [Height, Width, Channels].</summary>
    public byte[] Pixels { get; }

    /// <summary>
    /// Draws one tile from <paramref name="tile"/> ([C, H, W] with C equal to <see cref="Channels"/>) with its
    /// top-left corner at (<paramref name="left"/>, <paramref name="top"/>), each value v mapped to
    /// 255 * (v - lo) / (hi - lo) (clamped; mid-grey when hi = lo) and each pixel scaled up to a
    /// <paramref name="scale"/> x <paramref name="scale"/> block (nearest neighbour).
    /// </summary>
    public void DrawTile(ReadOnlySpan<double> tile, int h, int w, int left, int top, int scale, double lo, double hi)
    {
        if (tile.Length != Channels * h * w)
            throw new ArgumentException($"Canvas.DrawTile expects {Channels} x {h} x {w} values but got {tile.Length}.", nameof(tile));
        double range = hi - lo;
        for (int y = 0; y < h * scale; y++)
        {
            int py = top + y;
            if (py < 0 || py >= Height) continue;
            for (int x = 0; x < w * scale; x++)
            {
                int px = left + x;
                if (px < 0 || px >= Width) continue;
                for (int c = 0; c < Channels; c++)
                {
                    double v = tile[(c * h + y / scale) * w + x / scale];
                    Pixels[(py * Width + px) * Channels + c] = range > 0 ? ToByte(255 * (v - lo) / range) : (byte)128;
                }
            }
        }
    }

    private static byte ToByte(double v) => (byte)Math.Clamp(Math.Round(v), 0, 255);

    /// <summary>
    /// Lays out tiles [T, C, H, W] (C = 1 or 3) in a grid of <paramref name="columns"/> columns on a white
    /// background, <paramref name="gap"/> pixels apart, each scaled by <paramref name="scale"/>. With
    /// <paramref name="range"/> null every tile is normalised to its own min..max; otherwise all use that range.
    /// </summary>
    public static Canvas Grid(Tensor tiles, int columns, int scale = 1, int gap = 2, (double Lo, double Hi)? range = null)
    {
        if (tiles.Rank != 4 || tiles.Shape[1] is not (1 or 3))
            throw new ArgumentException($"Canvas.Grid expects tiles [T, C, H, W] with C = 1 or 3 but got {tiles.Shape}.", nameof(tiles));
        if (columns <= 0 || scale <= 0 || gap < 0)
            throw new ArgumentException($"Canvas.Grid expects columns > 0, scale > 0, gap >= 0 but got {columns}, {scale}, {gap}.");
        int t = tiles.Shape[0], c = tiles.Shape[1], h = tiles.Shape[2], w = tiles.Shape[3];
        int cols = Math.Max(1, Math.Min(columns, t)), rows = Math.Max(1, (t + cols - 1) / cols);
        var canvas = new Canvas(gap + cols * (w * scale + gap), gap + rows * (h * scale + gap), c);
        var all = tiles.ToDoubleArray();
        int size = c * h * w;
        for (int i = 0; i < t; i++)
        {
            var tile = all.AsSpan(i * size, size);
            var (lo, hi) = range ?? MinMax(tile);
            canvas.DrawTile(tile, h, w, gap + i % cols * (w * scale + gap), gap + i / cols * (h * scale + gap), scale, lo, hi);
        }
        return canvas;
    }

    /// <summary>The smallest and largest value (0, 0 for an empty span).</summary>
    public static (double Lo, double Hi) MinMax(ReadOnlySpan<double> values)
    {
        if (values.IsEmpty) return (0, 0);
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        foreach (var v in values)
        {
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        return (lo, hi);
    }
}
