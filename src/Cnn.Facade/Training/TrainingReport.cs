using Cnn.Autodiff;
using Cnn.Facade.Data;
using Cnn.Layers;

namespace Cnn.Facade;

/// <summary>
/// The pictures and text that describe a trained classifier, written to one folder: learning curves, model
/// summary, confusion matrix, sample predictions, first-layer filters, the first layer's feature maps for one
/// image, and the Graphviz DOT of one forward pass.
/// </summary>
public static class TrainingReport
{
    /// <summary>
    /// Writes into <paramref name="directory"/> (created if needed): <c>learning-curves.svg</c> (when
    /// <paramref name="history"/> has epochs), <c>summary.txt</c>, <c>confusion-matrix.svg</c>,
    /// <c>samples.svg</c> (the first <paramref name="samples"/> test images with true and predicted labels),
    /// <c>filters.png</c> (the first convolution weight), <c>feature-maps.png</c> (the first layer's output for
    /// test image 0, when that layer is a convolution) and <c>graph.dot</c>. Returns the paths written, in that order.
    /// </summary>
    /// <param name="test">Labelled images [N, C, H, W] to evaluate and draw.</param>
    /// <param name="evaluation">The model's evaluation on <paramref name="test"/>, or null to compute it.</param>
    /// <param name="classNames">Class names for the pictures; class numbers when null.</param>
    public static IReadOnlyList<string> Write(string directory, Model model, TensorDataset test, TrainingHistory? history = null,
        EvalResult? evaluation = null, IReadOnlyList<string>? classNames = null, int samples = 32)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(test);
        if (test.Count == 0 || test.Inputs.Rank != 4)
            throw new ArgumentException($"TrainingReport.Write expects test images [N, C, H, W] with N > 0 but got {test.Inputs.Shape}.", nameof(test));
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string Put(string name, string text)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, text);
            written.Add(path);
            return path;
        }
        void PutBytes(string name, byte[] bytes)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllBytes(path, bytes);
            written.Add(path);
        }

        if (history is { Epochs.IsEmpty: false }) Put("learning-curves.svg", LearningCurves.ToSvg(history.ToLearningCurves()));
        var one = Model.Rows(test.Inputs, 0, 1);
        Put("summary.txt", model.Summary(one.Shape).ToString());
        evaluation ??= model.Evaluate(test);
        Put("confusion-matrix.svg", evaluation.Confusion.ToSvg(classNames));

        int n = Math.Min(samples, test.Count);
        var images = Model.Rows(test.Inputs, 0, n);
        Put("samples.svg", SampleGrid.ToSvg(images, test.Labels[..n], model.PredictClasses(images), classNames));

        foreach (var (_, w) in model.Parameters)
            if (w.Rank == 4)
            {
                PutBytes("filters.png", Filters.ToPng(w));
                break;
            }
        if (FirstLayer(model.Architecture, "") is (string path, Conv2d conv))
        {
            var maps = conv.Apply(model.Parameters.Sub(path), one);
            PutBytes("feature-maps.png", Filters.FeatureMapsToPng(maps));
        }
        Put("graph.dot", ModelGraph.ToDot(model.Architecture, model.Parameters, one));
        return written;
    }

    /// <summary>
    /// The first leaf layer and its parameter path, descending into the first child of each container.
    /// </summary>
    /// <remarks>NOTE: a container's first child is taken to be the one that sees the container's input, as in every built-in block.</remarks>
    private static (string Path, ILayer Layer)? FirstLayer(ILayer layer, string prefix) => layer switch
    {
        Sequential { Layers.Length: > 0 } s => FirstLayer(s.Layers[0], Join(prefix, "0")),
        Sequential => null,
        Composite { Children.Length: > 0 } c => FirstLayer(c.Children[0].Layer, Join(prefix, c.Children[0].Name)),
        Composite => null,
        _ => (prefix, layer),
    };

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
