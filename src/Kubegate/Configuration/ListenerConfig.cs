namespace Kubegate.Configuration;

/// <summary>An Envoy <c>Listener</c>: one address, filter chains each ending in a <c>tcp_proxy</c>.</summary>
internal sealed record ListenerConfig
{
    public required string Name { get; init; }

    public required SocketAddressConfig Address { get; init; }

    /// <summary><c>Listener.stat_prefix</c>; when unset, listener stats are rooted at the address stat name.</summary>
    public string? StatPrefix { get; init; }

    /// <summary>
    /// The <c>tcp_proxy</c> of the first filter chain (or of the default chain when there is no other): what a summary
    /// shows. When <see cref="FilterChains"/> and <see cref="DefaultFilterChain"/> are both empty, the listener has one
    /// chain without match criteria holding this <c>tcp_proxy</c>.
    /// </summary>
    public required TcpProxyConfig TcpProxy { get; init; }

    /// <summary><c>filter_chains</c> as written; empty means one chain made of <see cref="TcpProxy"/>.</summary>
    public EquatableArray<FilterChainConfig> FilterChains { get; init; } = EquatableArray<FilterChainConfig>.Empty;

    /// <summary><c>default_filter_chain</c>: used when no chain of <see cref="FilterChains"/> matches.</summary>
    public FilterChainConfig? DefaultFilterChain { get; init; }

    /// <summary><c>envoy.filters.listener.tls_inspector</c> is among the listener filters.</summary>
    public bool TlsInspector { get; init; }

    /// <summary><c>listener_filters_timeout</c>: Envoy's default 15 s; <see cref="TimeSpan.Zero"/> disables it.</summary>
    public TimeSpan ListenerFiltersTimeout { get; init; } = DefaultListenerFiltersTimeout;

    /// <summary><c>continue_on_listener_filters_timeout</c>: on the timeout, match a chain with what is known instead of closing.</summary>
    public bool ContinueOnListenerFiltersTimeout { get; init; }

    /// <summary>
    /// kubegate extension (<c>metadata.filter_metadata.kubegate.max_connections_per_client</c>): open connections one
    /// client address may hold on this listener; null means no cap.
    /// </summary>
    public long? MaxConnectionsPerClient { get; init; }

    /// <summary>The Listener's own <c>access_log</c> (connections that never reach a filter chain).</summary>
    public EquatableArray<AccessLogConfig> AccessLog { get; init; } = EquatableArray<AccessLogConfig>.Empty;

    /// <summary>Listen backlog (<c>tcp_backlog_size</c>); null means kubegate's default of 4096, capped by <c>net.core.somaxconn</c>.</summary>
    public int? TcpBacklogSize { get; init; }

    public SourceLocation Location { get; init; }

    /// <summary>Envoy's default <c>listener_filters_timeout</c>.</summary>
    public static TimeSpan DefaultListenerFiltersTimeout => TimeSpan.FromSeconds(15);

    /// <summary>Every chain a connection can be given: <see cref="FilterChains"/> then the default chain (or the implied single chain).</summary>
    public IEnumerable<FilterChainConfig> AllFilterChains =>
        FilterChains.IsEmpty && DefaultFilterChain is null
            ? [new FilterChainConfig { TcpProxy = TcpProxy, Location = Location }]
            : DefaultFilterChain is null ? FilterChains : FilterChains.Append(DefaultFilterChain);

    /// <summary>The prefix of this listener's stats: <c>listener.&lt;stat_prefix or address&gt;.</c></summary>
    public string StatScope => "listener." + (StatPrefix ?? Address.StatName) + ".";
}
