using Kubegate.Clusters;
using Kubegate.Infrastructure;
using Kubegate.LogFiles;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Health;

/// <summary>
/// The process-wide services of health checking and outlier detection, shared by every cluster: the clock, the
/// randomness of jitter and enforcement, stats, logging, the event-log files, and the connections to close when a
/// host fails (<c>close_connections_on_host_health_failure</c>).
/// </summary>
internal sealed partial class HealthServices : IDisposable
{
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly LogFileSet _logFiles;
    private readonly bool _ownsLogFiles;

    /// <param name="stats">Where <c>health_check.*</c> and <c>outlier_detection.*</c> go.</param>
    /// <param name="time">The clock of intervals, timeouts and ejections.</param>
    /// <param name="loggerFactory">Null means no logging.</param>
    /// <param name="random">
    /// Jitter and <c>enforcing_*</c> draws; null means <see cref="Random.Shared"/>. Used under a lock, so a seeded
    /// (not thread-safe) instance is fine.
    /// </param>
    /// <param name="connections">
    /// The data path's closer of a failed host's connections (<c>close_connections_on_host_health_failure</c>); null
    /// closes nothing.
    /// </param>
    /// <param name="logFiles">The process's log files (<c>event_log_path</c> writes there); null: a set of its own.</param>
    public HealthServices(StatsStore stats, TimeProvider time, ILoggerFactory? loggerFactory = null, Random? random = null, IHostConnectionCloser? connections = null, LogFileSet? logFiles = null)
    {
        Connections = connections;
        Stats = stats;
        Time = time;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("kubegate.health");
        _random = random ?? Random.Shared;
        _ownsLogFiles = logFiles is null;
        _logFiles = logFiles ?? new LogFileSet(stats, Logger, time);
    }

    public StatsStore Stats { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    /// <summary>Closes a failed host's connections (<c>close_connections_on_host_health_failure</c>); null closes nothing.</summary>
    public IHostConnectionCloser? Connections { get; }

    /// <summary>Replaces the HTTP/TCP probes (tests); null means the real ones.</summary>
    public HealthProbeFactory? ProbeFactory { get; init; }

    /// <summary>Builds the health monitor of <paramref name="cluster"/> (what <see cref="ClusterManager"/> is given).</summary>
    public IClusterHealthMonitor CreateMonitor(ClusterState cluster) => new ClusterHealth(cluster, this);

    /// <summary>A uniformly random integer in [0, <paramref name="maxExclusive"/>); 0 when the range is empty.</summary>
    public long NextRandom(long maxExclusive)
    {
        if (maxExclusive <= 1)
        {
            return 0;
        }

        lock (_randomLock)
        {
            return _random.NextInt64(maxExclusive);
        }
    }

    /// <summary>
    /// The event log of <c>event_log_path</c> (one file writer per path, whatever the number of clusters using it);
    /// null, with a warning, when the file cannot be opened.
    /// </summary>
    public HealthEventLog? GetEventLog(string path)
    {
        try
        {
            return new HealthEventLog(_logFiles.Get(path, immediate: true));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Log.EventLogFailed(Logger, path, ex.Message);
            return null;
        }
    }

    public void Dispose()
    {
        if (_ownsLogFiles)
        {
            // Only without a process-wide set (unit tests): write out what is queued before the caller reads the files.
            _logFiles.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.HealthEventLogFailed, LogLevel.Warning, "health check event log {Path} cannot be opened, no events go there: {Message}", EventName = "HealthEventLogFailed")]
        public static partial void EventLogFailed(ILogger logger, string path, string message);
    }
}
