using System.Collections.Concurrent;

namespace Kubegate.Clusters;

/// <summary>
/// The operators' maintenance states by cluster and host address, owned by the <see cref="ClusterManager"/>: it
/// outlives host and cluster objects, so a reload that drops and re-adds a host (or rebuilds its cluster) keeps the
/// host drained or disabled until an operator enables it.
/// </summary>
internal sealed class MaintenanceBook
{
    private readonly ConcurrentDictionary<(string Cluster, string Address), MaintenanceMode> _modes = new();

    public MaintenanceMode Get(string cluster, string address) =>
        _modes.TryGetValue((cluster, address), out var mode) ? mode : MaintenanceMode.None;

    public void Set(string cluster, string address, MaintenanceMode mode)
    {
        if (mode == MaintenanceMode.None)
        {
            _modes.TryRemove((cluster, address), out _);
        }
        else
        {
            _modes[(cluster, address)] = mode;
        }
    }
}
