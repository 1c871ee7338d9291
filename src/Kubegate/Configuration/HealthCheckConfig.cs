namespace Kubegate.Configuration;

/// <summary>One <c>health_checks[]</c> entry (<c>envoy.config.core.v3.HealthCheck</c>). Exactly one checker is set.</summary>
internal sealed record HealthCheckConfig
{
    /// <summary>Default <c>no_traffic_interval</c>: 60 s.</summary>
    public static readonly TimeSpan DefaultNoTrafficInterval = TimeSpan.FromSeconds(60);

    public required TimeSpan Timeout { get; init; }

    public required TimeSpan Interval { get; init; }

    public TimeSpan InitialJitter { get; init; }

    public TimeSpan IntervalJitter { get; init; }

    public uint IntervalJitterPercent { get; init; }

    public required uint UnhealthyThreshold { get; init; }

    public required uint HealthyThreshold { get; init; }

    public TimeSpan NoTrafficInterval { get; init; } = DefaultNoTrafficInterval;

    /// <summary>Null means "same as <see cref="NoTrafficInterval"/>".</summary>
    public TimeSpan? NoTrafficHealthyInterval { get; init; }

    /// <summary>Null means "same as <see cref="Interval"/>".</summary>
    public TimeSpan? UnhealthyInterval { get; init; }

    /// <summary>Null means "same as the unhealthy interval".</summary>
    public TimeSpan? UnhealthyEdgeInterval { get; init; }

    /// <summary>Null means "same as <see cref="Interval"/>".</summary>
    public TimeSpan? HealthyEdgeInterval { get; init; }

    public bool ReuseConnection { get; init; } = true;

    public bool AlwaysLogHealthCheckFailures { get; init; }

    public bool AlwaysLogHealthCheckSuccess { get; init; }

    /// <summary>Deprecated <c>event_log_path</c>: JSON lines of health events.</summary>
    public string? EventLogPath { get; init; }

    /// <summary><c>tls_options.alpn_protocols</c> for health-check connections.</summary>
    public EquatableArray<string> AlpnProtocols { get; init; } = EquatableArray<string>.Empty;

    /// <summary><c>transport_socket_match_criteria</c>: selects a cluster <c>transport_socket_matches</c> entry.</summary>
    public EquatableDictionary<string> TransportSocketMatchCriteria { get; init; } = EquatableDictionary<string>.Empty;

    public HttpHealthCheckConfig? Http { get; init; }

    public TcpHealthCheckConfig? Tcp { get; init; }

    public SourceLocation Location { get; init; }
}
