using Cnn.Autodiff;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>The computation of one forward pass of a model as a recorded tape (listing or Graphviz DOT).</summary>
public static class ModelGraph
{
    /// <summary>
    /// Records one forward pass of <paramref name="layer"/> on <paramref name="x"/> (evaluation mode, initial
    /// state) with the input as tape entry %0 and the parameters as the following inputs, in tree order.
    /// </summary>
    /// <param name="x">An input batch, e.g. [1, C, H, W]</param>
    public static Trace Trace(ILayer layer, ParamTree<Tensor> p, Tensor x)
    {
        var paths = p.Paths.ToArray();
        Tensor[] inputs = [x, .. p.Values];
        return Diff.Trace(xs =>
        {
            var tree = ParamTree.FromPairs(paths.Select((path, i) => KeyValuePair.Create(path, xs[i + 1])));
            return layer.Apply(tree, xs[0]);
        }, inputs);
    }

    /// <summary>
    /// The forward pass as Graphviz DOT (<see cref="Cnn.Autodiff.Trace.ToDot"/>): a node per tape entry (op,
    /// dtype and shape), an edge per input; the input nodes are labelled <c>x</c> and the parameter paths.
    /// </summary>
    public static string ToDot(ILayer layer, ParamTree<Tensor> p, Tensor x)
    {
        var dot = Trace(layer, p, x).ToDot();
        string[] names = ["x", .. p.Paths];
        for (int i = 0; i < names.Length; i++)
            dot = dot.Replace($"n{i} [label=\"%{i} input\\n", $"n{i} [label=\"%{i} {names[i].Replace("\"", "'")}\\n");
        return dot;
    }

    /// <summary>Writes <see cref="ToDot"/> to <paramref name="path"/> (render with <c>dot -Tsvg</c>).</summary>
    public static void WriteDot(string path, ILayer layer, ParamTree<Tensor> p, Tensor x) => File.WriteAllText(path, ToDot(layer, p, x));
}
