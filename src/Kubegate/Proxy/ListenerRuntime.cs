using Kubegate.Configuration;
using Kubegate.Stats;

namespace Kubegate.Proxy;

/// <summary>
/// What a connection accepted on a listener needs from that listener's config: the tcp_proxy settings and the
/// stats objects, resolved once when the config is applied. Immutable; a listener update swaps in a new one and
/// existing connections keep the one they started with.
/// </summary>
internal sealed class ListenerRuntime
{
    public ListenerRuntime(ListenerConfig config, StatsStore stats)
    {
        Config = config;
        TcpProxy = config.TcpProxy;
        ListenerStats = new ListenerStats(stats, config.StatScope);
        TcpProxyStats = new TcpProxyStats(stats, config.TcpProxy.StatPrefix);
        var total = 0L;
        foreach (var weighted in config.TcpProxy.WeightedClusters)
        {
            total += weighted.Weight;
        }

        TotalClusterWeight = total;
    }

    public ListenerConfig Config { get; }

    public TcpProxyConfig TcpProxy { get; }

    public ListenerStats ListenerStats { get; }

    public TcpProxyStats TcpProxyStats { get; }

    public long TotalClusterWeight { get; }

    /// <summary>The cluster for a new connection: <c>cluster</c>, or a pick from <c>weighted_clusters</c> by weight.</summary>
    public string? PickClusterName(Random random)
    {
        if (TcpProxy.Cluster is { Length: > 0 } cluster)
        {
            return cluster;
        }

        if (TotalClusterWeight <= 0)
        {
            return null;
        }

        var target = random.NextInt64(TotalClusterWeight);
        foreach (var weighted in TcpProxy.WeightedClusters)
        {
            target -= weighted.Weight;
            if (target < 0)
            {
                return weighted.Name;
            }
        }

        return null;
    }
}
