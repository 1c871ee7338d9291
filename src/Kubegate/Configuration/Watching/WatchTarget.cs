namespace Kubegate.Configuration.Watching;

/// <summary>
/// One thing to watch for one subscription: a file name in a directory, or (for <c>watched_directory</c>) any entry
/// of a directory.
/// </summary>
/// <param name="Key">The subscription the change belongs to (<see cref="ConfigReloader.ListenersKey"/> and siblings).</param>
/// <param name="Directory">Full path of the directory to watch (inotify watches directories, not files).</param>
/// <param name="FileName">The file name to match, or null for any entry (Kubernetes ConfigMap <c>..data</c> swaps).</param>
internal sealed record WatchTarget(string Key, string Directory, string? FileName)
{
    public bool Matches(string? name) => FileName is null || string.Equals(name, FileName, StringComparison.Ordinal);
}
