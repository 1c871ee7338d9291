using Kubegate.AccessLog;
using Kubegate.Configuration;
using Kubegate.Proxy.Filters;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy;

/// <summary>
/// What a connection given one filter chain needs: its network filters, the tcp_proxy settings, stats and access
/// loggers, resolved once. Immutable; a listener update that keeps the chain's config keeps this object, so the
/// chain's connections and filter counts are not touched (Envoy's in-place filter-chain update).
/// </summary>
internal sealed class FilterChainRuntime
{
    public FilterChainRuntime(FilterChainConfig config, string displayName, StatsStore stats, AccessLogManager? accessLogs, ILogger logger)
    {
        Config = config;
        DisplayName = displayName;
        TcpProxy = config.TcpProxy;
        if (accessLogs is not null)
        {
            TcpProxyAccessLoggers = accessLogs.Compile(config.TcpProxy.AccessLog);
        }

        var options = config.TcpProxy.AccessLogOptions;
        if (TcpProxyAccessLoggers.Length > 0 && options is not null)
        {
            FlushOnConnected = options.FlushOnConnected;
            FlushOnStart = options.FlushOnStart;
            AccessLogFlushIntervalMs = options.FlushInterval is { } interval ? Math.Max(1, (long)interval.TotalMilliseconds) : 0;
        }

        TcpProxyStats = new TcpProxyStats(stats, config.TcpProxy.StatPrefix);
        Filters = [.. config.Filters.Select<NetworkFilterConfig, ConnectionFilter>(f => f switch
        {
            ConnectionLimitConfig limit => new ConnectionLimitFilter(limit, stats, logger),
            LocalRateLimitConfig rate => new LocalRateLimitFilter(rate, stats, logger),
            RbacConfig rbac => new RbacFilter(rbac, stats, logger),
            _ => throw new NotSupportedException(f.GetType().Name),
        })];
        var total = 0L;
        foreach (var weighted in config.TcpProxy.WeightedClusters)
        {
            total += weighted.Weight;
        }

        TotalClusterWeight = total;
    }

    public FilterChainConfig Config { get; }

    /// <summary>The chain's name, or its place (<c>filter_chains[1]</c>, <c>default_filter_chain</c>) when it has none.</summary>
    public string DisplayName { get; }

    public TcpProxyConfig TcpProxy { get; }

    public TcpProxyStats TcpProxyStats { get; }

    public ConnectionFilter[] Filters { get; }

    public long TotalClusterWeight { get; }

    /// <summary>The tcp_proxy's <c>access_log</c>: at the end, plus the intermediate entries of <c>access_log_options</c>.</summary>
    public AccessLogger[] TcpProxyAccessLoggers { get; } = [];

    public bool FlushOnConnected { get; }

    public bool FlushOnStart { get; }

    /// <summary><c>access_log_flush_interval</c> in ms (0: none); driven by the connection heartbeat, so at least 1 s apart in practice.</summary>
    public long AccessLogFlushIntervalMs { get; }

    /// <summary>
    /// The cluster for a new connection: the SNI under <c>sni_cluster</c> (when the client sent one), else
    /// <c>cluster</c>, or a pick from <c>weighted_clusters</c> by weight.
    /// </summary>
    public string? PickClusterName(Random random, string? serverName)
    {
        if (Config.SniCluster && !string.IsNullOrEmpty(serverName))
        {
            return serverName;
        }

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
