using Cnn.Facade;
using Cnn.Facade.Data;
using Cnn.Layers;
using Cnn.Unit.Facade.Checkpoints;
using static Cnn.Unit.Facade.Training.TrainingFixtures;

namespace Cnn.Unit.Facade.Training;

public class ConsoleProgressTests
{
    private static readonly TensorDataset Train = Quadrants(48, seed: 1);
    private static readonly TensorDataset Validation = Quadrants(16, seed: 2);

    private static readonly TrainingOptions Options = new() { Epochs = 3, BatchSize = 16, Optimizer = new Adam(1e-2) };

    [Fact]
    public void Report_Redirected_OneLinePerEpoch()
    {
        var output = new StringWriter();

        Trainer.Fit(new Model(SmallNet()), Train, Validation, Options, new ConsoleProgress(output, redirected: true));

        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        for (int i = 0; i < 3; i++)
        {
            Assert.StartsWith($"epoch {i + 1}/3  loss ", lines[i]);
            Assert.Contains("val acc", lines[i]);
            Assert.Contains("img/s", lines[i]);
        }
        Assert.DoesNotContain('\r', output.ToString());
    }

    [Fact]
    public void Report_Terminal_RedrawsBarInPlaceAndEndsEachEpochWithALine()
    {
        var output = new StringWriter();

        Trainer.Fit(new Model(SmallNet()), Train, null, Options, new ConsoleProgress(output, redirected: false));

        var text = output.ToString();
        Assert.Contains("\repoch 1/3 [", text);
        Assert.Contains("3/3  loss", text);
        Assert.Contains(" left", text);
        var lines = text.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Matches(@"\repoch \d/3  loss [0-9.]+  acc [0-9.]+%  lr \S+  [0-9.]+ s  \d+ img/s *$", l));
    }

    [Fact]
    public void Bar_HalfwayThroughEpoch_DrawsHalfFilledBar()
    {
        var p = new TrainingProgress(ProgressKind.Step, 2, 5, 50, 100, 150, 0.5, 0.8, 1234, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(95), 1e-3);
        Assert.Equal("epoch 2/5 [############............] 50/100  loss 0.5000  acc 80.0%  1234 img/s  1:35 left", ConsoleProgress.Bar(p));
    }
}

public class TrainingReportTests
{
    [Fact]
    public void Write_TrainedModel_WritesEveryArtefact()
    {
        using var dir = new TempDirectory();
        var train = Quadrants(32, seed: 1);
        var model = new Model(SmallNet(), seed: 0);
        var history = Trainer.Fit(model, train, null, new TrainingOptions { Epochs = 2, BatchSize = 16 });

        var files = TrainingReport.Write(dir.Root, model, Quadrants(12, seed: 2), history, classNames: ["a", "b", "c", "d"]);

        Assert.Equal(["learning-curves.svg", "summary.txt", "confusion-matrix.svg", "samples.svg", "filters.png", "feature-maps.png", "graph.dot"],
            files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
        Assert.StartsWith("digraph", File.ReadAllText(dir.File("graph.dot")).TrimStart());
        Assert.Contains("0.weight", File.ReadAllText(dir.File("summary.txt")) + File.ReadAllText(dir.File("graph.dot")));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(dir.File("filters.png")).Take(4));
    }

    [Fact]
    public void Write_ModelWithoutConvolution_SkipsFiltersAndFeatureMaps()
    {
        using var dir = new TempDirectory();
        var model = new Model(new Sequential(new Flatten(), new Linear(64, 4)), seed: 0);

        var files = TrainingReport.Write(dir.Root, model, Quadrants(8, seed: 2));

        Assert.Equal(["summary.txt", "confusion-matrix.svg", "samples.svg", "graph.dot"], files.Select(Path.GetFileName));
    }
}
