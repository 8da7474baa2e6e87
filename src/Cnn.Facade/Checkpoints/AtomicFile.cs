namespace Cnn.Facade.Checkpoints;

/// <summary>Writes files so that a reader sees either the old content or the complete new one, never a mix.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Writes <paramref name="path"/>: <paramref name="write"/> fills a temporary file in the same directory
    /// (named <c>.&lt;file name&gt;.&lt;random&gt;.tmp</c>), which is flushed to disk and then renamed over
    /// <paramref name="path"/>. If <paramref name="write"/> throws, the temporary file is deleted, the previous
    /// file at <paramref name="path"/> is left as it was, and the exception propagates.
    /// </summary>
    /// <remarks>
    /// // NOTE: a process killed while writing cannot delete its temporary file; the target is still intact
    /// and the leftover <c>.*.tmp</c> file is safe to delete.
    /// </remarks>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)
            ?? throw new ArgumentException($"AtomicFile.Write needs a file path but got the root '{path}'.", nameof(path));
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }
}
