namespace Kubegate.Configuration;

/// <summary>The bootstrap file (<c>envoy.yaml</c>): node identity, admin, and where the dynamic resources live.</summary>
internal sealed record BootstrapConfig
{
    /// <summary>The bootstrap path as given on the command line.</summary>
    public required string Path { get; init; }

    public string? NodeId { get; init; }

    public string? NodeCluster { get; init; }

    public AdminConfig? Admin { get; init; }

    /// <summary><c>dynamic_resources.lds_config</c>; null when listeners are only static.</summary>
    public ConfigSourceConfig? LdsConfig { get; init; }

    /// <summary><c>dynamic_resources.cds_config</c>; null when clusters are only static.</summary>
    public ConfigSourceConfig? CdsConfig { get; init; }

    public EquatableArray<ListenerConfig> StaticListeners { get; init; } = EquatableArray<ListenerConfig>.Empty;

    public EquatableArray<ClusterConfig> StaticClusters { get; init; } = EquatableArray<ClusterConfig>.Empty;
}
