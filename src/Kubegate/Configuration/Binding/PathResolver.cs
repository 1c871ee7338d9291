namespace Kubegate.Configuration.Binding;

/// <summary>
/// Resolves paths written in config files the way Envoy does: relative paths against the process working directory,
/// never against the folder of the file that names them. When a file is missing but would exist relative to the
/// bootstrap's (or the referring file's) folder, it says so, because that is the usual mistake.
/// </summary>
internal sealed class PathResolver
{
    public PathResolver(string workingDirectory, string? bootstrapDirectory)
    {
        WorkingDirectory = Path.GetFullPath(workingDirectory);
        BootstrapDirectory = bootstrapDirectory;
    }

    public string WorkingDirectory { get; }

    public string? BootstrapDirectory { get; }

    /// <summary>Resolves a path written in a file; check it with <see cref="Problem"/> first.</summary>
    public string Resolve(string path) => Path.GetFullPath(path, WorkingDirectory);

    /// <summary>
    /// Why <paramref name="path"/> cannot name a file at all, or null. A NUL character (possible through a JSON or
    /// YAML escape) makes <see cref="Path.GetFullPath(string, string)"/> throw, so it is reported as a problem of the
    /// field instead; found by fuzzing.
    /// </summary>
    public static string? Problem(string path) =>
        path.Contains('\0', StringComparison.Ordinal) ? "the path contains a NUL character (\\0), which no file name can hold" : null;

    /// <summary>A fix for a file that does not exist, or null when no nearby candidate exists either.</summary>
    public string? MissingFileFix(string path, string? referringFileDirectory)
    {
        if (Path.IsPathRooted(path))
        {
            return null;
        }

        foreach (var directory in new[] { BootstrapDirectory, referringFileDirectory })
        {
            if (directory is null || string.Equals(directory.TrimEnd('/'), WorkingDirectory.TrimEnd('/'), StringComparison.Ordinal))
            {
                continue;
            }

            var candidate = Path.GetFullPath(path, directory);
            if (File.Exists(candidate) || Directory.Exists(candidate))
            {
                var suggested = Path.GetRelativePath(WorkingDirectory, candidate);
                return $"relative paths resolve against the working directory {WorkingDirectory}; run kubegate from {directory} or write {suggested}";
            }
        }

        return $"relative paths resolve against the working directory {WorkingDirectory}";
    }
}
