using System.Xml.Linq;
using Cnn.Autodiff;
using Cnn.Facade;
using Cnn.Layers;

namespace Cnn.Unit.Facade.Plots;

public class SvgTests
{
    private static readonly XNamespace S = "http://www.w3.org/2000/svg";

    private static LearningCurves.Epoch[] History(int n) =>
        Enumerable.Range(1, n).Select(e => new LearningCurves.Epoch(e, 2.0 / e, 2.2 / e, 0.5 + 0.04 * e, 0.48 + 0.035 * e)).ToArray();

    [Fact]
    public void LearningCurves_ToSvg_WellFormedWithEverySeries()
    {
        var doc = XDocument.Parse(LearningCurves.ToSvg(History(10)));
        Assert.Equal(S + "svg", doc.Root!.Name);
        var series = doc.Descendants(S + "polyline").Where(e => (string?)e.Attribute("class") == "series").ToArray();
        Assert.Equal(["train loss", "validation loss", "train accuracy", "validation accuracy"], series.Select(e => (string)e.Attribute("data-series")!).ToArray());
        Assert.All(series, e => Assert.Equal(10, ((string)e.Attribute("points")!).Split(' ').Length));
        var texts = doc.Descendants(S + "text").Select(t => t.Value).ToArray();
        Assert.Contains("Loss", texts);
        Assert.Contains("Accuracy", texts);
        Assert.Contains("epoch", texts);
        Assert.Contains("validation accuracy", texts);   // legend
        Assert.Contains("10", texts);                     // an x tick
    }

    [Fact]
    public void LearningCurves_LossDecreasing_PolylineGoesDown()
    {
        var doc = XDocument.Parse(LearningCurves.ToSvg(History(5)));
        var pts = ((string)doc.Descendants(S + "polyline").First().Attribute("points")!).Split(' ')
            .Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (int i = 1; i < pts.Length; i++) Assert.True(pts[i] > pts[i - 1]);   // SVG y grows downward
    }

    [Fact]
    public void LearningCurves_OnlyTrainingLoss_OnePanelOneSeries()
    {
        var doc = XDocument.Parse(LearningCurves.ToSvg([new(1, 0.9), new(2, 0.5), new(3, double.NaN)]));
        var series = doc.Descendants(S + "polyline").ToArray();
        var only = Assert.Single(series);
        Assert.Equal(2, ((string)only.Attribute("points")!).Split(' ').Length);
        Assert.DoesNotContain(doc.Descendants(S + "text"), t => t.Value == "Accuracy");
        Assert.Throws<ArgumentException>(() => LearningCurves.ToSvg([]));
    }

    [Fact]
    public void ConfusionMatrix_From_HandCountedValues()
    {
        int[] truth = [0, 0, 0, 1, 1, 2, 2, 2, 2];
        int[] predicted = [0, 0, 1, 1, 2, 2, 2, 0, 2];
        var m = ConfusionMatrix.From(truth, predicted, 3);
        Assert.Equal(new long[] { 2, 1, 0, 0, 1, 1, 1, 0, 3 }, m.Counts.ToArray());
        Assert.Equal(9, m.Total);
        Assert.Equal(6.0 / 9, m.Accuracy, 12);
        Assert.Equal(2.0 / 3, m.Precision(0), 12);   // column 0: 2 right of 3
        Assert.Equal(1.0 / 2, m.Precision(1), 12);
        Assert.Equal(3.0 / 4, m.Precision(2), 12);
        Assert.Equal(2.0 / 3, m.Recall(0), 12);      // row 0: 2 right of 3
        Assert.Equal(1.0 / 2, m.Recall(1), 12);
        Assert.Equal(3.0 / 4, m.Recall(2), 12);
        Assert.Equal(1, m[2, 0]);
    }

    [Fact]
    public void ConfusionMatrix_ClassNeverPredicted_PrecisionZero()
    {
        var m = ConfusionMatrix.From([0, 1], [0, 0], 3);
        Assert.Equal(0, m.Precision(1));
        Assert.Equal(0, m.Recall(2));
        Assert.Equal(0.5, m.Accuracy);
    }

    [Fact]
    public void ConfusionMatrix_BadInput_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => ConfusionMatrix.From([0, 3], [0, 1], 3));
        Assert.Contains("sample 1 has truth 3", e.Message);
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.From([0, 1], [0], 3));
        Assert.Throws<ArgumentException>(() => ConfusionMatrix.From([0, 1], [0, 1], 2).ToSvg(["a"]));
    }

    [Fact]
    public void ConfusionMatrix_ToSvg_CellPerPairWithCountsAndNames()
    {
        var m = ConfusionMatrix.From([0, 0, 0, 1, 1, 2, 2, 2, 2], [0, 0, 1, 1, 2, 2, 2, 0, 2], 3);
        var doc = XDocument.Parse(m.ToSvg(["cat", "dog", "A&B"]));
        var cells = doc.Descendants(S + "rect").Where(r => (string?)r.Attribute("class") == "cell").ToArray();
        Assert.Equal(9, cells.Length);
        var texts = doc.Descendants(S + "text").Select(t => t.Value).ToArray();
        Assert.Contains("A&B", texts);
        Assert.Contains("3", texts);
        Assert.Contains(texts, t => t.Contains("66.67%"));
        // Row-normalised colour: the diagonal of row 2 (3 of 4) is darker than row 0's off-diagonal (1 of 3).
        string Fill(int t, int p) => (string)cells.Single(c => (string)c.Attribute("data-truth")! == t.ToString() && (string)c.Attribute("data-predicted")! == p.ToString()).Attribute("fill")!;
        Assert.Equal("rgb(255,255,255)", Fill(1, 0));
        Assert.NotEqual(Fill(2, 2), Fill(0, 1));
    }

    [Fact]
    public void SampleGrid_ToSvg_ImagePerSampleWithLabels()
    {
        var images = Tensor.Generate([3, 1, 4, 5], DType.Float32, i => i % 7);
        var svg = SampleGrid.ToSvg(images, [0, 1, 2], [0, 2, 2], ["zero", "one", "two"], columns: 2);
        var doc = XDocument.Parse(svg);
        var imgs = doc.Descendants(S + "image").ToArray();
        Assert.Equal(3, imgs.Length);
        foreach (var img in imgs)
        {
            var href = (string)img.Attribute("href")!;
            Assert.StartsWith("data:image/png;base64,", href);
            var png = DecodedPng.Decode(Convert.FromBase64String(href["data:image/png;base64,".Length..]));
            Assert.Equal((5, 4, 1), (png.Width, png.Height, png.Channels));
        }
        var texts = doc.Descendants(S + "text").ToArray();
        var wrong = Assert.Single(texts, t => t.Value == "pred: two");
        Assert.Equal("#cf222e", (string)wrong.Attribute("fill")!);
        Assert.Contains(texts, t => t.Value == "one");
        Assert.Throws<ArgumentException>(() => SampleGrid.ToSvg(images, [0, 1], [], null));
    }

    [Fact]
    public void ModelGraph_ToDot_NodePerTapeEntryAndEdgePerInput()
    {
        var net = new Sequential(new Conv2d(1, 2, 3), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(18, 3));
        var p = net.Init(Rng.Seed(0));
        var x = Tensor.Zeros([1, 1, 8, 8]);
        var trace = ModelGraph.Trace(net, p, x);
        var dot = ModelGraph.ToDot(net, p, x);
        Assert.StartsWith("digraph", dot);
        var nodes = dot.Split('\n').Where(l => l.TrimStart().StartsWith('n') && l.Contains("[label=")).ToArray();
        Assert.Equal(trace.Entries.Length, nodes.Length);
        foreach (var e in trace.Entries) Assert.Contains($"n{e.Index} [label=\"%{e.Index} ", dot);
        foreach (var op in new[] { "conv2d", "relu", "max_pool2d", "matmul" }) Assert.Contains(op, dot);
        int edges = trace.Entries.Sum(e => e.Inputs.Count(i => i >= 0));
        Assert.Equal(edges, dot.Split('\n').Count(l => l.Contains("->")));
        Assert.Contains("%0 x\\n", dot);
        Assert.Contains("%1 0.weight\\n", dot);
        Assert.Contains("%4 4.bias\\n", dot);
        Assert.Equal(5, trace.Entries.Count(e => e.Op == "input"));
    }
}
