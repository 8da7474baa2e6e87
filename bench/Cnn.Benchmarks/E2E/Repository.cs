namespace Cnn.Benchmarks.E2E;

/// <summary>Finds files and folders of (or beside) the repository when the benchmark runs from inside it.</summary>
internal static class Repository
{
    /// <summary>
    /// The first existing file or folder <paramref name="relativePath"/> under the working directory, the
    /// executable's directory, or one of their parent folders; null if none.
    /// </summary>
    public static string? Find(string relativePath)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var path = Path.Combine(dir.FullName, relativePath);
                if (File.Exists(path) || Directory.Exists(path)) return path;
            }
        return null;
    }
}
