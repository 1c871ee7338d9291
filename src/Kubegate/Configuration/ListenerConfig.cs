namespace Kubegate.Configuration;

/// <summary>An Envoy <c>Listener</c> carrying one <c>tcp_proxy</c> filter chain.</summary>
internal sealed record ListenerConfig
{
    public required string Name { get; init; }

    public required SocketAddressConfig Address { get; init; }

    /// <summary><c>Listener.stat_prefix</c>; when unset, listener stats are rooted at the address stat name.</summary>
    public string? StatPrefix { get; init; }

    public required TcpProxyConfig TcpProxy { get; init; }

    /// <summary>The Listener's own <c>access_log</c> (connections that never reach a filter chain).</summary>
    public EquatableArray<AccessLogConfig> AccessLog { get; init; } = EquatableArray<AccessLogConfig>.Empty;

    /// <summary>Listen backlog (<c>tcp_backlog_size</c>); null means kubegate's default of 4096, capped by <c>net.core.somaxconn</c>.</summary>
    public int? TcpBacklogSize { get; init; }

    public SourceLocation Location { get; init; }

    /// <summary>The prefix of this listener's stats: <c>listener.&lt;stat_prefix or address&gt;.</c></summary>
    public string StatScope => "listener." + (StatPrefix ?? Address.StatName) + ".";
}
