using System.Net;
using Kubegate.Configuration;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Discovery;

/// <summary>
/// Runs one <see cref="ApiServerDiscovery"/> per cluster that asks for it, following the configuration: an apply
/// starts discovery for new clusters, restarts it for a cluster whose discovery or EDS file changed, and stops it for
/// removed ones. An EDS update (which discovery itself causes) changes nothing here.
/// </summary>
internal sealed class DiscoveryManager : IAsyncDisposable
{
    private readonly Func<string, IPEndPoint?> _listenerEndPoint;
    private readonly StatsStore _stats;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Dictionary<string, ApiServerDiscovery> _running = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <param name="listenerEndPoint">The bound address of a listener by name; null when it is not listening.</param>
    public DiscoveryManager(Func<string, IPEndPoint?> listenerEndPoint, StatsStore stats, ILogger logger)
    {
        _listenerEndPoint = listenerEndPoint;
        _stats = stats;
        _logger = logger;
    }

    /// <summary>The discovery state of each cluster that has one, by cluster name.</summary>
    public IReadOnlyList<DiscoveryStatus> Statuses => [.. Volatile.Read(ref _running).Values.Select(d => d.Status).OrderBy(s => s.Cluster, StringComparer.Ordinal)];

    public async Task ApplyAsync(ConfigSnapshot snapshot)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
            {
                return;
            }

            var next = new Dictionary<string, ApiServerDiscovery>(StringComparer.Ordinal);
            var stopping = new List<ApiServerDiscovery>();
            foreach (var cluster in snapshot.Clusters)
            {
                if (cluster.Discovery is null || cluster.EdsConfig is null)
                {
                    continue;
                }

                if (_running.TryGetValue(cluster.Name, out var existing) && SameDiscovery(existing.Cluster, cluster))
                {
                    next[cluster.Name] = existing;
                    continue;
                }

                if (existing is not null)
                {
                    stopping.Add(existing);
                }

                var listenerName = cluster.Discovery.Listener ?? ListenerFor(snapshot, cluster.Name);
                var discovery = new ApiServerDiscovery(cluster, () => listenerName is null ? null : Connectable(_listenerEndPoint(listenerName)), _stats, _logger);
                discovery.Start(listenerName ?? "<no listener routes to this cluster>");
                next[cluster.Name] = discovery;
            }

            stopping.AddRange(_running.Where(p => !next.ContainsKey(p.Key)).Select(p => p.Value));
            Volatile.Write(ref _running, next);
            foreach (var discovery in stopping)
            {
                await discovery.DisposeAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            foreach (var discovery in _running.Values)
            {
                await discovery.DisposeAsync().ConfigureAwait(false);
            }

            _running = new(StringComparer.Ordinal);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The first listener whose tcp_proxy sends its connections (or some of them) to <paramref name="cluster"/>.</summary>
    internal static string? ListenerFor(ConfigSnapshot snapshot, string cluster) =>
        snapshot.Listeners.FirstOrDefault(l => l.TcpProxy.Cluster == cluster || l.TcpProxy.WeightedClusters.Any(w => w.Name == cluster))?.Name;

    /// <summary>A wildcard listener (0.0.0.0, ::) is reached on loopback.</summary>
    private static IPEndPoint? Connectable(IPEndPoint? bound) => bound switch
    {
        null => null,
        { Address: var a } when a.Equals(IPAddress.Any) => new IPEndPoint(IPAddress.Loopback, bound.Port),
        { Address: var a } when a.Equals(IPAddress.IPv6Any) => new IPEndPoint(IPAddress.IPv6Loopback, bound.Port),
        _ => bound,
    };

    private static bool SameDiscovery(ClusterConfig left, ClusterConfig right) =>
        left.Discovery == right.Discovery && left.EdsConfig == right.EdsConfig && left.ExpectedEdsClusterName == right.ExpectedEdsClusterName
        && left.ConnectTimeout == right.ConnectTimeout && left.ObservabilityName == right.ObservabilityName;
}
