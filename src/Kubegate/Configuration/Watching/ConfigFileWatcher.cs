using Microsoft.Extensions.Logging;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// Watches the directories of the config files (inotify on Linux, through <see cref="FileSystemWatcher"/>) and calls
/// back with a subscription key once that subscription's files have been quiet for the debounce delay.
/// </summary>
/// <remarks>
/// Directories, not files, are watched: the usual update is write-a-temp-file-then-rename, which replaces the inode a
/// file watch would hold, and a Kubernetes ConfigMap changes by swapping the <c>..data</c> symlink beside the file.
/// Unlike Envoy, which reacts only to a move into place (<c>IN_MOVED_TO</c>), an in-place write reloads too
/// (kubegate's policy); a rename, create, delete or write of the name all count, and the content hash decides
/// whether anything changed. One watcher per directory, however many files live there.
/// </remarks>
internal sealed partial class ConfigFileWatcher : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Action<string> _onChanged;
    private readonly TimeProvider _time;
    private readonly TimeSpan _delay;
    private readonly ILogger _logger;
    private readonly Dictionary<string, FileSystemWatcher> _watchers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Debouncer> _debouncers = new(StringComparer.Ordinal);
    private IReadOnlyList<WatchTarget> _targets = [];
    private bool _disposed;

    /// <param name="onChanged">Called with a subscription key after its files settled; on a timer thread.</param>
    /// <param name="time">The clock of the debounce.</param>
    /// <param name="logger">Where watch problems go.</param>
    /// <param name="delay">The debounce delay; default <see cref="Debouncer.DefaultDelay"/> (250 ms).</param>
    public ConfigFileWatcher(Action<string> onChanged, TimeProvider time, ILogger logger, TimeSpan? delay = null)
    {
        _onChanged = onChanged;
        _time = time;
        _logger = logger;
        _delay = delay ?? Debouncer.DefaultDelay;
    }

    /// <summary>The targets watched now.</summary>
    public IReadOnlyList<WatchTarget> Targets
    {
        get
        {
            lock (_lock)
            {
                return _targets;
            }
        }
    }

    /// <summary>Raised for every file-system event that matched a target, before debouncing (for tests and tracing).</summary>
    public event Action<string>? EventObserved;

    /// <summary>Makes the watched set equal to <paramref name="targets"/>: new directories are watched, unneeded ones dropped.</summary>
    public void Watch(IReadOnlyList<WatchTarget> targets)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _targets = [.. targets];
            var directories = targets.Select(t => t.Directory).ToHashSet(StringComparer.Ordinal);
            foreach (var (directory, watcher) in _watchers.Where(w => !directories.Contains(w.Key)).ToList())
            {
                watcher.Dispose();
                _watchers.Remove(directory);
            }

            foreach (var directory in directories.Where(d => !_watchers.ContainsKey(d)))
            {
                if (CreateWatcher(directory) is { } watcher)
                {
                    _watchers.Add(directory, watcher);
                }
            }

            var keys = targets.Select(t => t.Key).ToHashSet(StringComparer.Ordinal);
            foreach (var (key, debouncer) in _debouncers.Where(d => !keys.Contains(d.Key)).ToList())
            {
                debouncer.Dispose();
                _debouncers.Remove(key);
            }

            foreach (var key in keys.Where(k => !_debouncers.ContainsKey(k)))
            {
                _debouncers.Add(key, new Debouncer(() => _onChanged(key), _time, _delay));
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var watcher in _watchers.Values)
            {
                watcher.Dispose();
            }

            foreach (var debouncer in _debouncers.Values)
            {
                debouncer.Dispose();
            }

            _watchers.Clear();
            _debouncers.Clear();
        }
    }

    private FileSystemWatcher? CreateWatcher(string directory)
    {
        try
        {
            var watcher = new FileSystemWatcher(directory)
            {
                IncludeSubdirectories = false,

                // FileName/DirectoryName: create, delete and rename (IN_CREATE, IN_DELETE, IN_MOVED_FROM/TO; a symlink
                // swap is a rename of a directory entry). LastWrite/Size: in-place writes (IN_MODIFY).
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            watcher.Changed += (_, e) => OnEvent(directory, e.Name, null);
            watcher.Created += (_, e) => OnEvent(directory, e.Name, null);
            watcher.Deleted += (_, e) => OnEvent(directory, e.Name, null);
            watcher.Renamed += (_, e) => OnEvent(directory, e.Name, e.OldName);
            watcher.Error += (_, e) => OnError(directory, e.GetException());
            watcher.EnableRaisingEvents = true;
            Log.Watching(_logger, directory);
            return watcher;
        }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // ArgumentException: the directory does not exist (any more). IOException: the inotify instance or watch
            // limit (fs.inotify.max_user_instances / max_user_watches) is reached.
            Log.WatchFailed(_logger, directory, ex.Message);
            return null;
        }
    }

    private void OnEvent(string directory, string? name, string? oldName)
    {
        foreach (var key in MatchingKeys(directory, t => t.Matches(name) || (oldName is not null && t.FileName == oldName)))
        {
            EventObserved?.Invoke(key);
            Signal(key);
        }
    }

    private void OnError(string directory, Exception error)
    {
        // The kernel queue overflowed (IN_Q_OVERFLOW) or the directory went away: events may be lost, so every
        // subscription in this directory re-checks its file (the hash makes that free when nothing changed).
        Log.WatchOverflow(_logger, directory, error.Message);
        foreach (var key in MatchingKeys(directory, _ => true))
        {
            Signal(key);
        }
    }

    private List<string> MatchingKeys(string directory, Func<WatchTarget, bool> match)
    {
        lock (_lock)
        {
            return _targets
                .Where(t => string.Equals(t.Directory, directory, StringComparison.Ordinal) && match(t))
                .Select(t => t.Key)
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }
    }

    private void Signal(string key)
    {
        Debouncer? debouncer;
        lock (_lock)
        {
            _debouncers.TryGetValue(key, out debouncer);
        }

        debouncer?.Signal();
    }
}
