namespace Kubegate.Fuzzing;

/// <summary>
/// A private directory that config inputs are written into and that the loader uses as its working directory, so
/// relative paths inside a fuzzed file resolve there (to nothing) rather than into the repository. Deleted on dispose.
/// </summary>
internal sealed class FuzzWorkspace : IDisposable
{
    private FuzzWorkspace(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>Creates a fresh directory <c>kubegate-fuzz-&lt;random&gt;</c> under <paramref name="parent"/> (default: the temp folder).</summary>
    public static FuzzWorkspace Create(string? parent = null)
    {
        var directory = Path.Combine(parent ?? Path.GetTempPath(), "kubegate-fuzz-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(directory);
        return new FuzzWorkspace(directory);
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="fileName"/> inside the workspace and returns the full path.</summary>
    public string Write(string fileName, ReadOnlySpan<byte> content)
    {
        var path = Path.Combine(Directory, fileName);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        file.Write(content);
        return path;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not turn a clean run into a failure.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
