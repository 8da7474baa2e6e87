using System.Collections.Immutable;
using System.Text;

namespace Cnn.Autodiff;

/// <summary>
/// A recorded tape as an immutable value: one line per entry (like a jaxpr) and a Graphviz DOT export.
/// </summary>
/// <param name="Entries">The tape, in recording (topological) order.</param>
/// <param name="Output">Index of the traced function's output, or -1 when it did not depend on the inputs.</param>
public sealed record Trace(ImmutableArray<TapeEntry> Entries, int Output)
{
    /// <summary>The listing: one entry per line, then the output.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var e in Entries) sb.AppendLine(e.ToString());
        sb.Append("return ").Append(Output < 0 ? "const" : "%" + Output);
        return sb.ToString();
    }

    /// <summary>The graph in Graphviz DOT: a node per entry (op and shape), an edge per input.</summary>
    public string ToDot()
    {
        var sb = new StringBuilder();
        sb.AppendLine("digraph tape {");
        sb.AppendLine("  rankdir=TB;");
        sb.AppendLine("  node [shape=box, fontname=\"monospace\"];");
        foreach (var e in Entries)
        {
            var label = $"%{e.Index} {e.Op}\\n{e.DType.ShortName()}{e.OutputShape}" + (e.Settings.Length > 0 ? "\\n" + e.Settings.Replace("\"", "'") : "");
            var style = e.Index == Output ? ", style=bold" : e.Pullback is null ? ", style=rounded" : "";
            sb.AppendLine($"  n{e.Index} [label=\"{label}\"{style}];");
        }
        foreach (var e in Entries)
            foreach (var i in e.Inputs.Where(i => i >= 0))
                sb.AppendLine($"  n{i} -> n{e.Index};");
        sb.AppendLine("}");
        return sb.ToString();
    }
}
