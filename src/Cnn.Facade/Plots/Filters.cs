using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>Pictures of what a convolutional network learned: its filters and its feature maps.</summary>
public static class Filters
{
    /// <summary>
    /// A convolution weight as a PNG grid, each filter normalised to its own min..max and scaled up by
    /// <paramref name="scale"/> (nearest neighbour). With 3 input channels each filter is one RGB tile;
    /// otherwise each (output, input) channel pair is a grayscale tile, one row per output channel
    /// (a square-ish grid when there is a single input channel).
    /// </summary>
    /// <param name="weight">[Cout, Cin, k, k]</param>
    public static byte[] ToPng(Tensor weight, int scale = 8)
    {
        if (weight.Rank != 4)
            throw new ArgumentException($"Filters.ToPng expects a convolution weight [Cout, Cin, kh, kw] but got {weight.Shape}.", nameof(weight));
        int cout = weight.Shape[0], cin = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3];
        if (cin == 3) return Png.Encode(Canvas.Grid(weight, SquareColumns(cout), scale, gap: 4));
        var tiles = weight.Reshape([cout * cin, 1, kh, kw]);
        return Png.Encode(Canvas.Grid(tiles, cin == 1 ? SquareColumns(cout) : cin, scale, gap: 4));
    }

    /// <summary>Feature maps of one image as a PNG grid, each map normalised to its own min..max.</summary>
    /// <param name="maps">[1, C, H, W] or [C, H, W]</param>
    public static byte[] FeatureMapsToPng(Tensor maps, int scale = 4)
    {
        if (maps.Rank == 4 && maps.Shape[0] == 1) maps = maps.Reshape([maps.Shape[1], maps.Shape[2], maps.Shape[3]]);
        if (maps.Rank != 3)
            throw new ArgumentException($"Filters.FeatureMapsToPng expects the maps of one image, [1, C, H, W] or [C, H, W], but got {maps.Shape}; slice one image out of the batch.", nameof(maps));
        int c = maps.Shape[0];
        return Png.Encode(Canvas.Grid(maps.Reshape([c, 1, maps.Shape[1], maps.Shape[2]]), SquareColumns(c), scale));
    }

    /// <summary>
    /// The output of the first <paramref name="layers"/> children of <paramref name="model"/> for input
    /// <paramref name="x"/> in evaluation mode (with the initial state, or <paramref name="state"/>).
    /// </summary>
    /// <param name="p">The model's parameters (children under 0, 1, ...).</param>
    /// <param name="x">[N, C, H, W]</param>
    public static Tensor FeatureMaps(Sequential model, ParamTree<Tensor> p, Tensor x, int layers, ParamTree<Tensor>? state = null)
    {
        if (layers < 0 || layers > model.Layers.Length)
            throw new ArgumentOutOfRangeException(nameof(layers), $"Filters.FeatureMaps: the model has {model.Layers.Length} layers but {layers} were asked for.");
        state ??= model.InitState();
        Var y = x;
        for (int i = 0; i < layers; i++)
        {
            var name = i.ToString();
            y = model.Layers[i].Apply(p.Sub(name).Map(t => new Var(t)), y, LayerContext.Eval(state.Sub(name)));
        }
        return y.Value;
    }

    internal static int SquareColumns(int count) => Math.Max(1, (int)Math.Ceiling(Math.Sqrt(count)));
}
