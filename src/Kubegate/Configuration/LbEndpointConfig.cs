namespace Kubegate.Configuration;

/// <summary>One <c>lb_endpoints[]</c> entry.</summary>
internal sealed record LbEndpointConfig
{
    public required SocketAddressConfig Address { get; init; }

    /// <summary><c>load_balancing_weight</c>, at least 1; default 1.</summary>
    public uint Weight { get; init; } = 1;

    /// <summary>EDS <c>health_status</c>; UNKNOWN when unset.</summary>
    public EndpointHealthStatus HealthStatus { get; init; } = EndpointHealthStatus.Unknown;

    /// <summary>The locality's <c>priority</c> (0 is the highest).</summary>
    public int Priority { get; init; }

    /// <summary><c>endpoint.hostname</c>.</summary>
    public string? Hostname { get; init; }

    /// <summary><c>endpoint.health_check_config.port_value</c>: check a different port than traffic uses.</summary>
    public int? HealthCheckPort { get; init; }

    /// <summary><c>endpoint.health_check_config.hostname</c>: the Host header/SNI for this endpoint's HTTP checks.</summary>
    public string? HealthCheckHostname { get; init; }

    /// <summary><c>endpoint.health_check_config.disable_active_health_check</c>: never actively check this endpoint.</summary>
    public bool DisableActiveHealthCheck { get; init; }

    public SourceLocation Location { get; init; }
}
