namespace Kubegate.Configuration;

/// <summary><c>envoy.filters.network.tcp_proxy</c> (<c>envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy</c>).</summary>
internal sealed record TcpProxyConfig
{
    /// <summary>Default <c>idle_timeout</c> when unset: one hour, as in Envoy.</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromHours(1);

    public required string StatPrefix { get; init; }

    /// <summary>The target cluster; exactly one of this and <see cref="WeightedClusters"/> is set.</summary>
    public string? Cluster { get; init; }

    public EquatableArray<WeightedClusterConfig> WeightedClusters { get; init; } = EquatableArray<WeightedClusterConfig>.Empty;

    /// <summary>No bytes either way for this long closes both sides. <see cref="TimeSpan.Zero"/> disables it.</summary>
    public TimeSpan IdleTimeout { get; init; } = DefaultIdleTimeout;

    /// <summary>Upstream connect attempts, each with a fresh load-balancer pick. At least 1.</summary>
    public int MaxConnectAttempts { get; init; } = 1;

    /// <summary><c>max_downstream_connection_duration</c>; null means unlimited.</summary>
    public TimeSpan? MaxDownstreamConnectionDuration { get; init; }

    public EquatableArray<AccessLogConfig> AccessLog { get; init; } = EquatableArray<AccessLogConfig>.Empty;

    public AccessLogOptionsConfig? AccessLogOptions { get; init; }

    /// <summary>Where <c>cluster</c> (or <c>weighted_clusters</c>) is written, for messages about the target cluster.</summary>
    public SourceLocation ClusterLocation { get; init; }
}
