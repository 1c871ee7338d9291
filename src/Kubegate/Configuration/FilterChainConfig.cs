namespace Kubegate.Configuration;

/// <summary>
/// One Envoy <c>FilterChain</c> (or the listener's <c>default_filter_chain</c>): what selects it, the network filters
/// that run before its <c>tcp_proxy</c>, and the <c>tcp_proxy</c> itself, always the last filter.
/// </summary>
internal sealed record FilterChainConfig
{
    /// <summary><c>name</c>; null when unset (kubegate then names it by its position in logs and the admin interface).</summary>
    public string? Name { get; init; }

    public FilterChainMatchConfig Match { get; init; } = FilterChainMatchConfig.Any;

    /// <summary>The filters before <c>tcp_proxy</c>, in the file's order (the order Envoy runs them in).</summary>
    public EquatableArray<NetworkFilterConfig> Filters { get; init; } = EquatableArray<NetworkFilterConfig>.Empty;

    public required TcpProxyConfig TcpProxy { get; init; }

    /// <summary><c>envoy.filters.network.sni_cluster</c> is in the chain: the SNI, when there is one, names the cluster.</summary>
    public bool SniCluster { get; init; }

    public SourceLocation Location { get; init; }
}
