using System.Collections.Immutable;

namespace Kubegate.Configuration;

/// <summary>
/// One complete, validated configuration: the bootstrap plus every listener, cluster and endpoint assignment.
/// Immutable; a reload builds a new snapshot and swaps it in, or keeps the old one.
/// </summary>
internal sealed record ConfigSnapshot
{
    public required BootstrapConfig Bootstrap { get; init; }

    /// <summary>Static listeners first, then those of the LDS file, in file order.</summary>
    public EquatableArray<ListenerConfig> Listeners { get; init; } = EquatableArray<ListenerConfig>.Empty;

    /// <summary>Static clusters first, then those of the CDS file, in file order.</summary>
    public EquatableArray<ClusterConfig> Clusters { get; init; } = EquatableArray<ClusterConfig>.Empty;

    /// <summary>
    /// Endpoints by cluster name: the EDS file of an EDS cluster, or a STATIC cluster's <c>load_assignment</c>. An EDS
    /// cluster whose file holds no ClusterLoadAssignment has no entry: Envoy then keeps the previous endpoints (none
    /// at start-up).
    /// </summary>
    public ImmutableDictionary<string, ClusterLoadAssignmentConfig> Assignments { get; init; } =
        ImmutableDictionary<string, ClusterLoadAssignmentConfig>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary><c>version_info</c> of each dynamic file (by full path) that was read; absent when a file has none.</summary>
    public ImmutableDictionary<string, string> VersionInfo { get; init; } =
        ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>Warnings accepted with this snapshot (unknown dynamic fields, deprecations, risky settings).</summary>
    public EquatableArray<ConfigError> Warnings { get; init; } = EquatableArray<ConfigError>.Empty;

    public ClusterConfig? FindCluster(string name)
    {
        foreach (var cluster in Clusters)
        {
            if (string.Equals(cluster.Name, name, StringComparison.Ordinal))
            {
                return cluster;
            }
        }

        return null;
    }
}
