namespace Kubegate.Configuration;

/// <summary>
/// A file-based xDS <c>ConfigSource</c> (<c>path_config_source</c>, or the deprecated <c>path</c>). Paths are kept as
/// written and resolved against the working directory, as Envoy does.
/// </summary>
/// <param name="Path">The path as written in the config.</param>
/// <param name="FullPath">The path resolved against the working directory at load time.</param>
/// <param name="WatchedDirectory">Optional <c>watched_directory.path</c> (Kubernetes ConfigMap symlink swaps), resolved to a full path like <paramref name="FullPath"/>.</param>
internal sealed record ConfigSourceConfig(string Path, string FullPath, string? WatchedDirectory)
{
    public SourceLocation Location { get; init; }
}
