using Kubegate.AccessLog;
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
    public ListenerRuntime(ListenerConfig config, StatsStore stats, AccessLogManager? accessLogs = null)
    {
        Config = config;
        if (accessLogs is not null)
        {
            // Compiled once per listener config; validation already rejected formats that do not compile.
            ListenerAccessLoggers = accessLogs.Compile(config.AccessLog);
            TcpProxyAccessLoggers = accessLogs.Compile(config.TcpProxy.AccessLog);
            AllAccessLoggers = [.. ListenerAccessLoggers, .. TcpProxyAccessLoggers];
        }

        HasAccessLog = AllAccessLoggers.Length > 0;
        var options = config.TcpProxy.AccessLogOptions;
        if (TcpProxyAccessLoggers.Length > 0 && options is not null)
        {
            FlushOnConnected = options.FlushOnConnected;
            FlushOnStart = options.FlushOnStart;
            AccessLogFlushIntervalMs = options.FlushInterval is { } interval ? Math.Max(1, (long)interval.TotalMilliseconds) : 0;
        }

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

    /// <summary>The listener's own <c>access_log</c>: written when a connection ends.</summary>
    public AccessLogger[] ListenerAccessLoggers { get; } = [];

    /// <summary>The tcp_proxy's <c>access_log</c>: at the end, plus the intermediate entries of <c>access_log_options</c>.</summary>
    public AccessLogger[] TcpProxyAccessLoggers { get; } = [];

    /// <summary>Both lists: what the final entry of a connection goes to.</summary>
    public AccessLogger[] AllAccessLoggers { get; } = [];

    /// <summary>False when no access log is configured: connections then build no record and inspect no bytes.</summary>
    public bool HasAccessLog { get; }

    public bool FlushOnConnected { get; }

    public bool FlushOnStart { get; }

    /// <summary><c>access_log_flush_interval</c> in ms (0: none); driven by the connection heartbeat, so at least 1 s apart in practice.</summary>
    public long AccessLogFlushIntervalMs { get; }

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
