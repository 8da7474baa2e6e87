using Cnn.Autodiff;
using Cnn.Facade.Data;

namespace Cnn.Unit.Facade.Data;

public class FashionMnistTests
{
    [Fact]
    public void Load_ShippedSample_BalancedCountsShapesAndRange()
    {
        var folder = FashionMnist.FindSample();
        Assert.NotNull(folder);
        var data = FashionMnist.Load(folder);
        Assert.Equal(folder, data.Directory);
        Assert.Equal(Shape.Create([8000, 1, 28, 28]), data.Train.Inputs.Shape);
        Assert.Equal(Shape.Create([2000, 1, 28, 28]), data.Test.Inputs.Shape);
        Assert.All(data.Train.ClassCounts(10), n => Assert.Equal(800, n));
        Assert.All(data.Test.ClassCounts(10), n => Assert.Equal(200, n));
        foreach (var split in new[] { data.Train, data.Test })
        {
            var values = split.Inputs.Span<float>();
            float min = float.MaxValue, max = float.MinValue;
            foreach (var v in values) { min = Math.Min(min, v); max = Math.Max(max, v); }
            Assert.Equal(0f, min);
            Assert.Equal(1f, max);
        }
        Assert.Equal(10, FashionMnist.ClassNames.Count);
        Assert.Equal("T-shirt/top", FashionMnist.ClassNames[0]);
        Assert.Equal("Ankle boot", FashionMnist.ClassNames[9]);
    }

    [Fact]
    public void Load_FolderWithoutFiles_NamesMissingFiles()
    {
        var empty = Path.Combine(Path.GetTempPath(), "cnn-no-fashion-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => FashionMnist.Load(empty));
        Assert.Contains(empty, e.Message);
        Assert.Contains("train-images-idx3-ubyte", e.Message);
    }
}
