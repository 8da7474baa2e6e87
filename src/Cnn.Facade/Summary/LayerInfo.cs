using System.Collections.Immutable;
using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>How a layer moves the receptive field of one output position over its input.</summary>
public abstract record SpatialEffect
{
    private SpatialEffect() { }

    /// <summary>Each output position reads only the same position of the input (activations, batch norm, dropout).</summary>
    public sealed record Pointwise : SpatialEffect;

    /// <summary>
    /// A sliding k x k window with stride s and dilation d (convolution, pooling):
    /// RF_out = RF_in + (k - 1) * d * jump_in and jump_out = jump_in * s.
    /// </summary>
    public sealed record Window(int Kernel, int Stride, int Dilation) : SpatialEffect;

    /// <summary>Every output reads the whole input (flatten, linear, global pooling): the field is the whole input from here on.</summary>
    public sealed record Global : SpatialEffect;

    /// <summary>Not known: receptive fields after this layer are not reported.</summary>
    public sealed record Unknown : SpatialEffect;
}

/// <summary>
/// What the summary knows about one layer: its multiply-adds for a given input, its parameter count by
/// formula (null: count the leaves of <see cref="ILayer.Init"/>), its spatial effect, and, for a container
/// applied in sequence, its named children (expanded into their own rows, <c>features.0</c>).
/// </summary>
public sealed record LayerInfo(long MultiplyAdds, SpatialEffect Spatial, long? Parameters = null)
{
    /// <summary>Children applied one after another, by name; empty for a leaf.</summary>
    public ImmutableArray<(string Name, ILayer Layer)> Children { get; init; } = ImmutableArray<(string, ILayer)>.Empty;
}

/// <summary>
/// Describes a layer kind for <see cref="Summary"/>: returns null for layers it does not know, so describers
/// chain. Layers that no describer knows still get a row with their output shape (from
/// <see cref="ILayer.OutputShape"/>) and parameter count (from <see cref="ILayer.Init"/>).
/// </summary>
/// <param name="layer">The layer.</param>
/// <param name="input">Its input shape.</param>
/// <param name="output">Its output shape (already computed with <see cref="ILayer.OutputShape"/>).</param>
public delegate LayerInfo? LayerDescriber(ILayer layer, Shape input, Shape output);

/// <summary>The describers for the layers in Cnn.Layers.</summary>
public static class LayerDescribers
{
    /// <summary>
    /// Conv2d, Linear, MaxPool2d, Flatten, ReLU and Sequential.
    /// </summary>
    /// <remarks>
    /// Multiply-add convention (as torchinfo and fvcore): one multiply-add per weight use, bias additions
    /// not counted; layers without weights (pooling, activations, flatten) count 0, their comparisons and
    /// elementwise work are not multiply-adds.
    /// <list type="bullet">
    /// <item>Conv2d: N * Cout * Hout * Wout * (Cin / groups) * k * k.</item>
    /// <item>Linear: (number of rows, the product of the leading dimensions) * In * Out.</item>
    /// </list>
    /// </remarks>
    public static LayerInfo? Builtin(ILayer layer, Shape input, Shape output) => layer switch
    {
        Conv2d c => new LayerInfo(
            (long)output[0] * c.OutChannels * output[2] * output[3] * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize,
            new SpatialEffect.Window(c.KernelSize, c.Options.StrideH, c.Options.DilationH),
            (long)c.OutChannels * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize + (c.Bias ? c.OutChannels : 0)),
        Linear l => new LayerInfo(
            (long)(input.Size / Math.Max(1, input[^1])) * l.InFeatures * l.OutFeatures,
            new SpatialEffect.Global(),
            (long)l.OutFeatures * l.InFeatures + (l.Bias ? l.OutFeatures : 0)),
        MaxPool2d m => new LayerInfo(0, new SpatialEffect.Window(m.KernelSize, m.Stride ?? m.KernelSize, m.Dilation), 0),
        Flatten => new LayerInfo(0, new SpatialEffect.Global(), 0),
        ReLU => new LayerInfo(0, new SpatialEffect.Pointwise(), 0),
        Sequential s => new LayerInfo(0, new SpatialEffect.Pointwise(), null)
        {
            Children = [.. s.Layers.Select((child, i) => (i.ToString(), child))],
        },
        _ => null,
    };
}
