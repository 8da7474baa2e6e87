namespace Cnn.Facade.Data;

/// <summary>The training and test parts of a dataset, and the folder they were read from.</summary>
public sealed record DatasetSplits(TensorDataset Train, TensorDataset Test, string Directory);

/// <summary>
/// Fashion-MNIST (Zalando, MIT licence): 28 x 28 grey images of 10 kinds of clothing, 60,000 for training and
/// 10,000 for testing, in IDX files named as the original distribution names them.
/// </summary>
public static class FashionMnist
{
    /// <summary>Where the Debian package dataset-fashion-mnist installs the full dataset.</summary>
    public const string DebianDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>The folder of the class-balanced sample shipped with this repository (8,000 training and 2,000 test images).</summary>
    public const string SampleRelativePath = "data/fashion-mnist-sample";

    /// <summary>The class names by label.</summary>
    public static IReadOnlyList<string> ClassNames { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    private static readonly string[] FileStems =
        ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

    /// <summary>
    /// Loads the training and test sets: images float32 [N, 1, 28, 28] in [0, 1] and labels 0..9. Reads from
    /// <paramref name="directory"/> when given; else from the Debian package's folder (<see cref="DebianDirectory"/>)
    /// when it is installed; else from the sample shipped in the repository (<see cref="FindSample"/>).
    /// Each file may be gzip-compressed (<c>.gz</c>) or raw.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">
    /// <paramref name="directory"/> lacks the four files, or it is null and neither the package nor the sample is found.
    /// </exception>
    /// <exception cref="InvalidDataException">A file is malformed (see <see cref="Idx"/>).</exception>
    public static DatasetSplits Load(string? directory = null)
    {
        string folder;
        if (directory is not null)
        {
            if (!HasFiles(directory))
                throw new DirectoryNotFoundException($"FashionMnist.Load expects the folder '{directory}' to hold {string.Join(", ", FileStems)} (each raw or .gz) but {Missing(directory)} missing.");
            folder = directory;
        }
        else
        {
            folder = (HasFiles(DebianDirectory) ? DebianDirectory : FindSample())
                ?? throw new DirectoryNotFoundException($"FashionMnist.Load found no dataset: pass the folder of the full dataset, install the Debian package dataset-fashion-mnist ({DebianDirectory}), or run from inside the repository so that {SampleRelativePath} can be found.");
        }
        return new DatasetSplits(
            Idx.Load(FilePath(folder, FileStems[0]), FilePath(folder, FileStems[1])),
            Idx.Load(FilePath(folder, FileStems[2]), FilePath(folder, FileStems[3])),
            folder);
    }

    /// <summary>
    /// The shipped sample's folder: the first <see cref="SampleRelativePath"/> holding the four files found in
    /// <see cref="AppContext.BaseDirectory"/>, the current directory, or one of their parent folders; null if none.
    /// </summary>
    public static string? FindSample()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, SampleRelativePath);
                if (HasFiles(candidate)) return candidate;
            }
        }
        return null;
    }

    private static bool HasFiles(string directory) => Missing(directory) is null;

    private static string? Missing(string directory)
    {
        var missing = new List<string>();
        foreach (var stem in FileStems)
            if (!File.Exists(Path.Combine(directory, stem + ".gz")) && !File.Exists(Path.Combine(directory, stem)))
                missing.Add(stem);
        return missing.Count == 0 ? null : string.Join(", ", missing) + (missing.Count == 1 ? " is" : " are");
    }

    private static string FilePath(string directory, string stem)
    {
        var gz = Path.Combine(directory, stem + ".gz");
        return File.Exists(gz) ? gz : Path.Combine(directory, stem);
    }
}
