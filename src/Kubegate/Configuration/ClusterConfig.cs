namespace Kubegate.Configuration;

/// <summary>An Envoy <c>Cluster</c>: a named set of upstream endpoints (apiservers) with balancing and health policy.</summary>
internal sealed record ClusterConfig
{
    /// <summary>Default <c>connect_timeout</c>: 5 s, as in Envoy.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(5);

    public required string Name { get; init; }

    /// <summary><c>alt_stat_name</c>: replaces the name in stats and <c>%UPSTREAM_CLUSTER%</c>.</summary>
    public string? AltStatName { get; init; }

    public DiscoveryType Type { get; init; } = DiscoveryType.Static;

    /// <summary>For <see cref="DiscoveryType.Eds"/>: where the ClusterLoadAssignment file is.</summary>
    public ConfigSourceConfig? EdsConfig { get; init; }

    /// <summary><c>eds_cluster_config.service_name</c>; the CLA's <c>cluster_name</c> must equal it (default: the cluster name).</summary>
    public string? EdsServiceName { get; init; }

    /// <summary>For <see cref="DiscoveryType.Static"/>: the inline <c>load_assignment</c>.</summary>
    public ClusterLoadAssignmentConfig? LoadAssignment { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    public LbPolicy LbPolicy { get; init; } = LbPolicy.RoundRobin;

    /// <summary><c>least_request_lb_config.choice_count</c>, at least 2.</summary>
    public int LeastRequestChoiceCount { get; init; } = 2;

    /// <summary><c>least_request_lb_config.active_request_bias</c>; used only when endpoint weights differ.</summary>
    public double LeastRequestActiveRequestBias { get; init; } = 1.0;

    /// <summary>The <c>slow_start_config</c> of the policy's lb config; null: new hosts take a full share at once.</summary>
    public SlowStartConfig? SlowStart { get; init; }

    /// <summary>The cluster's kubegate extension (<c>metadata.filter_metadata.kubegate</c>).</summary>
    public KubegateClusterExtension Kubegate { get; init; } = KubegateClusterExtension.Default;

    public TcpKeepaliveConfig? TcpKeepalive { get; init; }

    /// <summary><c>common_lb_config.healthy_panic_threshold</c> in percent; 0 disables panic mode. Default 50.</summary>
    public double HealthyPanicThreshold { get; init; } = 50;

    /// <summary><c>common_lb_config.ignore_new_hosts_until_first_hc</c>.</summary>
    public bool IgnoreNewHostsUntilFirstHc { get; init; }

    public EquatableArray<HealthCheckConfig> HealthChecks { get; init; } = EquatableArray<HealthCheckConfig>.Empty;

    /// <summary>Null means no outlier detection (and no <c>outlier_detection.*</c> stats), as in Envoy.</summary>
    public OutlierDetectionConfig? OutlierDetection { get; init; }

    public TransportSocketConfig? TransportSocket { get; init; }

    public EquatableArray<TransportSocketMatchConfig> TransportSocketMatches { get; init; } = EquatableArray<TransportSocketMatchConfig>.Empty;

    public bool IgnoreHealthOnHostRemoval { get; init; }

    public bool CloseConnectionsOnHostHealthFailure { get; init; }

    /// <summary><c>circuit_breakers</c> default-priority <c>max_connections</c>; Envoy's default is 1024.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>No <c>circuit_breakers</c> <c>max_connections</c> was written: <see cref="DefaultMaxConnections"/> applies (see <see cref="CapacityAdvice"/>).</summary>
    public bool MaxConnectionsIsDefault { get; init; }

    /// <summary>Envoy's default <c>max_connections</c> when a cluster sets none.</summary>
    public const int DefaultMaxConnections = 1024;

    /// <summary>kubegate's apiserver discovery (<c>metadata.filter_metadata.kubegate.discovery</c>); null when not configured.</summary>
    public DiscoveryConfig? Discovery { get; init; }

    public SourceLocation Location { get; init; }

    /// <summary>The name used in stats (<c>cluster.&lt;this&gt;.</c>) and access logs.</summary>
    public string ObservabilityName => AltStatName ?? Name;

    /// <summary>The <c>cluster_name</c> an EDS file for this cluster must carry.</summary>
    public string ExpectedEdsClusterName => EdsServiceName ?? Name;

    /// <summary>
    /// The transport socket a health check uses, as Envoy picks it: the first <see cref="TransportSocketMatches"/> entry
    /// whose <c>match</c> is contained in the check's <c>transport_socket_match_criteria</c>, else the cluster's
    /// <see cref="TransportSocket"/>. Null means plaintext.
    /// </summary>
    public TransportSocketConfig? SelectHealthCheckTransportSocket(HealthCheckConfig healthCheck)
    {
        if (healthCheck.TransportSocketMatchCriteria.Count > 0)
        {
            foreach (var match in TransportSocketMatches)
            {
                if (match.Matches(healthCheck.TransportSocketMatchCriteria))
                {
                    return match.TransportSocket;
                }
            }
        }

        return TransportSocket;
    }
}
