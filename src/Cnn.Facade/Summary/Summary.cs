using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>A layer that describes itself to <see cref="Summary"/> (consulted before any describer).</summary>
public interface IDescribedLayer : ILayer
{
    /// <summary>Multiply-adds, parameter count and spatial effect for input shape <paramref name="input"/>.</summary>
    LayerInfo Describe(Shape input, Shape output);
}

/// <summary>
/// The receptive field of one output position: <see cref="Size"/> input pixels on a side, and the
/// <see cref="Jump"/> (product of the strides so far), the input distance between neighbouring outputs.
/// Both are whole numbers until a transposed convolution (upsampling) divides the jump by its stride; after
/// that they are measured on the input's pixel grid as real numbers, and an output reads at most
/// ceil(Size) input pixels on a side.
/// </summary>
public readonly record struct ReceptiveField(double Size, double Jump)
{
    /// <summary>The field after a k x k window with stride s and dilation d: Size + (k - 1) * d * Jump, Jump * s.</summary>
    public ReceptiveField Through(int kernel, int stride, int dilation) => new(Size + (kernel - 1) * dilation * Jump, Jump * stride);

    /// <summary>
    /// The field after a k x k transposed convolution with stride s and dilation d (see
    /// <see cref="SpatialEffect.TransposedWindow"/>): Size + floor((k - 1) g / s) * (d / g) * Jump, Jump / s, g = gcd(d, s).
    /// </summary>
    public ReceptiveField ThroughTransposed(int kernel, int stride, int dilation)
    {
        int g = Gcd(dilation, stride);
        int span = (kernel - 1) * g / stride * (dilation / g);
        return new(Size + span * Jump, Jump / stride);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
}

/// <summary>One row of a <see cref="Summary"/>: one layer, named by its path (<c>features.0</c>) as PyTorch's named_modules.</summary>
/// <param name="Name">Dotted path from the summarised layer; empty for the summarised layer itself when it is a leaf.</param>
/// <param name="Type">The layer's type name.</param>
/// <param name="Depth">Nesting depth (0 for the summarised layer's children).</param>
/// <param name="Parameters">Trainable parameters (the leaves of Init); the subtree's total for a container.</param>
/// <param name="State">Non-trainable state elements (the leaves of InitState, e.g. running statistics).</param>
/// <param name="MultiplyAdds">Multiply-adds for the whole input batch; null when no describer knows the layer.</param>
/// <param name="Field">The receptive field after this layer, or null once an output no longer maps to a window of the input (after flatten, linear, global pooling, or an unknown layer).</param>
/// <param name="IsContainer">True for a container whose children have their own rows (not counted twice in the totals).</param>
/// <param name="IsResidual">True for a residual block's row: its output adds its input (through the shortcut child, if any) to its main path; the field is the wider of the two.</param>
public sealed record SummaryRow(string Name, string Type, int Depth, Shape InputShape, Shape OutputShape,
    long Parameters, long State, long? MultiplyAdds, ReceptiveField? Field, bool IsContainer, bool IsResidual = false);

/// <summary>
/// A model summary computed from shapes alone, without running data: one row per layer with nested
/// containers expanded, and totals. <see cref="ToString"/> renders an aligned text table.
/// </summary>
/// <param name="TrainableParameters">Sum of the leaf rows' <see cref="SummaryRow.Parameters"/>.</param>
/// <param name="NonTrainableParameters">Sum of the leaf rows' <see cref="SummaryRow.State"/> (running statistics).</param>
/// <param name="MultiplyAdds">Sum of the known leaf multiply-adds.</param>
/// <param name="MultiplyAddsComplete">False when some layer's multiply-adds are unknown, so <see cref="MultiplyAdds"/> is a lower bound.</param>
public sealed record Summary(Shape InputShape, Shape OutputShape, ImmutableArray<SummaryRow> Rows,
    long TrainableParameters, long NonTrainableParameters, long MultiplyAdds, bool MultiplyAddsComplete)
{
    /// <summary>Trainable plus non-trainable (the Keras convention).</summary>
    public long TotalParameters => TrainableParameters + NonTrainableParameters;

    /// <summary>
    /// Summarises <paramref name="layer"/> for input shape <paramref name="input"/> (including the batch
    /// dimension). Layers are recognised by <paramref name="describers"/> first, then
    /// <see cref="IDescribedLayer"/>, then <see cref="LayerDescribers.Builtin"/>; unknown layers get their
    /// output shape and parameter count from the layer itself.
    /// </summary>
    /// <exception cref="ArgumentException">When the input shape does not fit a layer (the layer's own message, prefixed by the row name).</exception>
    public static Summary Of(ILayer layer, Shape input, params LayerDescriber[] describers)
    {
        var walk = new Walk(describers);
        var (output, _) = walk.Visit(layer, "", -1, input, new ReceptiveField(1, 1));
        var rows = walk.Rows.ToImmutableArray();
        long trainable = 0, state = 0, macs = 0;
        bool complete = true;
        foreach (var r in rows)
        {
            if (r.IsContainer) continue;
            trainable += r.Parameters;
            state += r.State;
            if (r.MultiplyAdds is long m) macs += m; else complete = false;
        }
        return new Summary(input, output, rows, trainable, state, macs, complete);
    }

    private sealed class Walk(LayerDescriber[] describers)
    {
        public List<SummaryRow> Rows { get; } = [];

        public (Shape Output, LayerInfo? Info) Describe(ILayer layer, Shape input)
        {
            var output = layer.OutputShape(input);
            foreach (var d in describers)
                if (d(layer, input, output) is { } info) return (output, info);
            if (layer is IDescribedLayer described) return (output, described.Describe(input, output));
            return (output, LayerDescribers.Builtin(layer, input, output));
        }

        public (Shape Output, ReceptiveField? Field) Visit(ILayer layer, string name, int depth, Shape input, ReceptiveField? field)
        {
            Shape output;
            LayerInfo? info;
            try { (output, info) = Describe(layer, input); }
            catch (ArgumentException e) when (name.Length > 0)
            {
                throw new ArgumentException($"Summary: layer {name} ({layer.GetType().Name}): {e.Message}", e);
            }
            var type = layer.GetType().Name;
            if (info is { Children.IsDefaultOrEmpty: false })
            {
                // NOTE: the summarised container itself (depth -1) has no row: the totals stand for it.
                int at = Rows.Count;
                if (depth >= 0) Rows.Add(null!);
                var x = input;
                var blockField = field;
                foreach (var (childName, child) in info.Children)
                    (x, field) = Visit(child, Child(name, childName), depth + 1, x, field);
                if (info.Residual)
                {
                    var shortcutField = blockField;
                    if (info.Shortcut is var (shortcutName, shortcut))
                        (_, shortcutField) = Visit(shortcut, Child(name, shortcutName), depth + 1, input, blockField);
                    field = Wider(field, shortcutField);
                }
                if (depth < 0) return (output, field);
                long? macs = 0;
                long parameters = 0, state = 0;
                for (int i = at + 1; i < Rows.Count; i++)
                {
                    if (Rows[i].IsContainer) continue;
                    parameters += Rows[i].Parameters;
                    state += Rows[i].State;
                    macs = macs is long m && Rows[i].MultiplyAdds is long r ? m + r : null;
                }
                Rows[at] = new SummaryRow(name, type, depth, input, output, parameters, state, macs, field, IsContainer: true, IsResidual: info.Residual);
                return (output, field);
            }
            long p = info?.Parameters ?? Count(layer.Init(Rng.Seed(0)));
            long s = Count(layer.InitState());
            field = (info?.Spatial, field) switch
            {
                (SpatialEffect.Pointwise, var f) => f,
                (SpatialEffect.Window w, ReceptiveField f) => f.Through(w.Kernel, w.Stride, w.Dilation),
                (SpatialEffect.TransposedWindow t, ReceptiveField f) => f.ThroughTransposed(t.Kernel, t.Stride, t.Dilation),
                _ => null,
            };
            Rows.Add(new SummaryRow(name, type, Math.Max(depth, 0), input, output, p, s, info?.MultiplyAdds, field, IsContainer: false));
            return (output, field);
        }

        private static string Child(string parent, string child) => parent.Length == 0 ? child : parent + "." + child;

        // NOTE: the union of the main path's and the shortcut's fields, taking the paths as centred on the same
        // position (as "same" padding makes them in ResNet blocks); unknown when either is.
        private static ReceptiveField? Wider(ReceptiveField? a, ReceptiveField? b) =>
            a is { } f && b is { } g ? f with { Size = Math.Max(f.Size, g.Size) } : null;

        private static long Count(ParamTree<Tensor> tree)
        {
            long n = 0;
            foreach (var t in tree.Values) n += t.Size;
            return n;
        }
    }

    /// <summary>An aligned text table (as torchinfo prints): name (type), output shape, parameters, multiply-adds, receptive field and jump, then totals.</summary>
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        string[] head = ["Layer (type)", "Output shape", "Param #", "Mult-adds", "RF", "Jump"];
        var cells = new List<string[]>();
        foreach (var r in Rows)
        {
            var type = r.IsResidual ? r.Type + ", residual" : r.Type;
            var label = new string(' ', 2 * r.Depth) + (r.Name.Length > 0 ? r.Name + " (" + type + ")" : type);
            cells.Add([
                label,
                r.OutputShape.ToString(),
                r.Parameters.ToString("N0", c),
                r.MultiplyAdds is long m ? m.ToString("N0", c) : "?",
                r.Field is { } f ? f.Size.ToString("0.###", c) : "-",
                r.Field is { } g ? g.Jump.ToString("0.###", c) : "-",
            ]);
        }
        var width = new int[head.Length];
        for (int j = 0; j < head.Length; j++)
        {
            width[j] = head[j].Length;
            foreach (var row in cells) width[j] = Math.Max(width[j], row[j].Length);
        }
        int total = width.Sum() + 2 * (width.Length - 1);
        var sb = new StringBuilder();
        void Line(string[] row)
        {
            for (int j = 0; j < row.Length; j++)
            {
                if (j > 0) sb.Append("  ");
                sb.Append(j < 2 ? row[j].PadRight(width[j]) : row[j].PadLeft(width[j]));
            }
            sb.Append('\n');
        }
        var rule = new string('=', total);
        sb.Append(rule).Append('\n');
        Line(head);
        sb.Append(rule).Append('\n');
        foreach (var row in cells) Line(row);
        sb.Append(rule).Append('\n');
        sb.Append("Input shape: ").Append(InputShape).Append("    Output shape: ").Append(OutputShape).Append('\n');
        sb.Append("Total params: ").Append(TotalParameters.ToString("N0", c)).Append('\n');
        sb.Append("Trainable params: ").Append(TrainableParameters.ToString("N0", c)).Append('\n');
        sb.Append("Non-trainable params: ").Append(NonTrainableParameters.ToString("N0", c)).Append('\n');
        sb.Append("Mult-adds: ").Append(MultiplyAddsComplete ? "" : "at least ").Append(MultiplyAdds.ToString("N0", c)).Append('\n');
        sb.Append(rule);
        return sb.ToString();
    }
}
