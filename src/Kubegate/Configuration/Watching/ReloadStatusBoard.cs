namespace Kubegate.Configuration.Watching;

/// <summary>
/// The outcome of the last update of each watched file (accepted, empty, failed, rejected), for the dashboard: an
/// operator who just saved a file wants to see whether it took, and if not, the first problem, without reading logs.
/// </summary>
internal sealed class ReloadStatusBoard
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ReloadStatusEntry> _entries = new(StringComparer.Ordinal);

    /// <summary>Records a reload result; an unchanged file (same content hash) leaves the last entry as it is.</summary>
    public void Record(ReloadResult result, DateTimeOffset at)
    {
        if (result.Outcome == ReloadOutcome.Unchanged)
        {
            return;
        }

        var problem = result.Problems.FirstOrDefault(p => p.Severity == ConfigErrorSeverity.Error) ?? result.Problems.FirstOrDefault();
        var entry = new ReloadStatusEntry(result.Subscription, result.File, result.Outcome, at, result.VersionInfo, problem?.ToString(), result.Problems.Length);
        lock (_lock)
        {
            _entries[result.File] = entry;
        }
    }

    /// <summary>The latest entry per file, ordered by file.</summary>
    public IReadOnlyList<ReloadStatusEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries.Values.OrderBy(e => e.File, StringComparer.Ordinal)];
            }
        }
    }
}
