using System.Collections.Concurrent;
using Kubegate.Clusters;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Health;

/// <summary>
/// The process-wide services of health checking and outlier detection, shared by every cluster: the clock, the
/// randomness of jitter and enforcement, stats, logging, the event-log files, and the connections to close when a
/// host fails (<c>close_connections_on_host_health_failure</c>).
/// </summary>
internal sealed class HealthServices : IDisposable
{
    private readonly Random _random;
    private readonly Lock _randomLock = new();
    private readonly ConcurrentDictionary<string, HealthEventLog> _eventLogs = new(StringComparer.Ordinal);

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
    public HealthServices(StatsStore stats, TimeProvider time, ILoggerFactory? loggerFactory = null, Random? random = null, IHostConnectionCloser? connections = null)
    {
        Connections = connections;
        Stats = stats;
        Time = time;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("kubegate.health");
        _random = random ?? Random.Shared;
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

    /// <summary>The shared writer of <c>event_log_path</c> (one per path, whatever the number of clusters using it).</summary>
    public HealthEventLog GetEventLog(string path) => _eventLogs.GetOrAdd(path, static (p, logger) => new HealthEventLog(p, logger), Logger);

    public void Dispose()
    {
        foreach (var log in _eventLogs.Values)
        {
            log.Dispose();
        }

        _eventLogs.Clear();
    }
}
