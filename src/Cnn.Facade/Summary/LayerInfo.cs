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

    /// <summary>
    /// A transposed convolution with a k x k kernel, stride s and dilation d (upsampling): output position p reads
    /// input positions i with i*s - pad + a*d = p for a in 0..k-1, so neighbouring outputs are jump_in / s apart
    /// and one output reads at most floor((k - 1) g / s) * (d / g) + 1 consecutive inputs, g = gcd(d, s):
    /// RF_out = RF_in + floor((k - 1) g / s) * (d / g) * jump_in and jump_out = jump_in / s.
    /// </summary>
    public sealed record TransposedWindow(int Kernel, int Stride, int Dilation) : SpatialEffect;

    /// <summary>Every output reads the whole input (flatten, linear, global pooling): the field is the whole input from here on.</summary>
    public sealed record Global : SpatialEffect;

    /// <summary>Not known: receptive fields after this layer are not reported.</summary>
    public sealed record Unknown : SpatialEffect;
}

/// <summary>
/// What the summary knows about one layer: its multiply-adds for a given input, its parameter count by
/// formula (null: count the leaves of <see cref="ILayer.Init"/>), its spatial effect, and, for a container,
/// its named children (expanded into their own rows, <c>features.0</c>). A container's multiply-adds,
/// parameters and receptive field come from its children; its own <see cref="MultiplyAdds"/> and
/// <see cref="Spatial"/> are not used.
/// </summary>
public sealed record LayerInfo(long MultiplyAdds, SpatialEffect Spatial, long? Parameters = null)
{
    /// <summary>Children applied one after another, by name (for a residual block, its main path); empty for a leaf.</summary>
    public ImmutableArray<(string Name, ILayer Layer)> Children { get; init; } = ImmutableArray<(string, ILayer)>.Empty;

    /// <summary>
    /// True for a residual block, y = f(children(x) + shortcut(x)) with f elementwise (ReLU): the
    /// <see cref="Shortcut"/> (the identity when null) reads the block's input, not the last child's output.
    /// </summary>
    public bool Residual { get; init; }

    /// <summary>A residual block's shortcut child, applied to the block's input; null for the identity.</summary>
    public (string Name, ILayer Layer)? Shortcut { get; init; }

    /// <summary>A container whose children run one after another.</summary>
    public static LayerInfo Sequence(ImmutableArray<(string Name, ILayer Layer)> children) =>
        new(0, new SpatialEffect.Pointwise()) { Children = children };

    /// <summary>A residual block: <paramref name="main"/> in order, plus <paramref name="shortcut"/> (null: the identity) on the input.</summary>
    public static LayerInfo ResidualBlock(IEnumerable<(string Name, ILayer Layer)> main, (string Name, ILayer Layer)? shortcut) =>
        new(0, new SpatialEffect.Pointwise()) { Children = [.. main], Residual = true, Shortcut = shortcut };
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
    /// Every layer and block of Cnn.Layers except <see cref="Lambda"/> (opaque) and <see cref="UNetSmall"/>
    /// (its stages take two inputs, so it is one row whose multiply-adds are unknown).
    /// </summary>
    /// <remarks>
    /// Multiply-add convention (as torchinfo and fvcore): one multiply-add per weight use, bias additions
    /// not counted; layers without weights (pooling, activations, dropout, flatten) count 0, their
    /// comparisons and elementwise work are not multiply-adds.
    /// <list type="bullet">
    /// <item>Conv2d: N * Cout * Hout * Wout * (Cin / groups) * k * k.</item>
    /// <item>ConvTranspose2d: N * Cin * Hin * Win * (Cout / groups) * k * k (every input element meets every weight of its group).</item>
    /// <item>Linear: (number of rows, the product of the leading dimensions) * In * Out.</item>
    /// <item>BatchNorm2d: N * C * H * W, one per element (the inference-time affine x * scale + shift; batch statistics in training are not counted).</item>
    /// </list>
    /// Containers: <see cref="Sequential"/> and every <see cref="Composite"/> that keeps the default in-order
    /// <see cref="Composite.Forward"/> (blocks such as <see cref="ConvBlock"/>, <see cref="DoubleConv"/>,
    /// <see cref="UNetDown"/>, and the architectures) expand into their children. <see cref="BasicBlock"/> and
    /// <see cref="Bottleneck"/> expand as residual blocks: the main path in order, then the shortcut on the
    /// block's input. A composite with another wiring is a single row with unknown multiply-adds.
    /// </remarks>
    public static LayerInfo? Builtin(ILayer layer, Shape input, Shape output) => layer switch
    {
        Conv2d c => new LayerInfo(
            (long)output[0] * c.OutChannels * output[2] * output[3] * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize,
            new SpatialEffect.Window(c.KernelSize, c.Options.StrideH, c.Options.DilationH),
            (long)c.OutChannels * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize + (c.Bias ? c.OutChannels : 0)),
        ConvTranspose2d t => new LayerInfo(
            (long)input[0] * t.InChannels * input[2] * input[3] * (t.OutChannels / t.Groups) * t.KernelSize * t.KernelSize,
            new SpatialEffect.TransposedWindow(t.KernelSize, t.Stride, t.Dilation),
            (long)t.InChannels * (t.OutChannels / t.Groups) * t.KernelSize * t.KernelSize + (t.Bias ? t.OutChannels : 0)),
        Linear l => new LayerInfo(
            (long)(input.Size / Math.Max(1, input[^1])) * l.InFeatures * l.OutFeatures,
            new SpatialEffect.Global(),
            (long)l.OutFeatures * l.InFeatures + (l.Bias ? l.OutFeatures : 0)),
        BatchNorm2d b => new LayerInfo(output.Size, new SpatialEffect.Pointwise(), 2L * b.NumFeatures),
        MaxPool2d m => new LayerInfo(0, new SpatialEffect.Window(m.KernelSize, m.Stride ?? m.KernelSize, m.Dilation), 0),
        AvgPool2d a => new LayerInfo(0, new SpatialEffect.Window(a.KernelSize, a.Stride ?? a.KernelSize, 1), 0),
        AdaptiveAvgPool2d a => new LayerInfo(0, AdaptiveEffect(input[2], input[3], a.OutputHeight, a.OutputWidth), 0),
        GlobalAvgPool or Flatten => new LayerInfo(0, new SpatialEffect.Global(), 0),
        ReLU or LeakyReLU or Sigmoid or Tanh or Dropout => new LayerInfo(0, new SpatialEffect.Pointwise(), 0),
        Sequential s => LayerInfo.Sequence([.. s.Layers.Select((child, i) => (i.ToString(), child))]),
        BasicBlock b => Residual(b.Children, 4),
        Bottleneck b => Residual(b.Children, 6),
        Composite c when RunsInOrder(c) => LayerInfo.Sequence(c.Children),
        _ => null,
    };

    // Children [0, main) are the main path; a child after them is the shortcut.
    private static LayerInfo Residual(ImmutableArray<(string Name, ILayer Layer)> children, int main) =>
        LayerInfo.ResidualBlock(children.Take(main), children.Length > main ? children[main] : null);

    // NOTE: a composite that overrides Forward may wire its children in any way, so only one that keeps
    // Composite.Forward (children in order) is expanded as a sequence.
    private static bool RunsInOrder(Composite c) =>
        c.GetType().GetMethod(nameof(Composite.Forward), [typeof(ParamTree<Var>), typeof(Var), typeof(LayerContext)])?.DeclaringType == typeof(Composite);

    // Output 1x1: the whole input. Equal windows (the size divides evenly, the same factor on both axes): a
    // k x k window with stride k. Otherwise PyTorch's windows differ in size and overlap: not one window.
    private static SpatialEffect AdaptiveEffect(int h, int w, int oh, int ow) =>
        (oh, ow) == (1, 1) ? new SpatialEffect.Global()
        : h % oh == 0 && w % ow == 0 && h / oh == w / ow ? new SpatialEffect.Window(h / oh, h / oh, 1)
        : new SpatialEffect.Unknown();
}
