namespace Kubegate.Configuration;

/// <summary>
/// A <c>ClusterLoadAssignment</c> (EDS file content or a STATIC cluster's inline <c>load_assignment</c>), with the
/// localities flattened: kubegate balances over one priority level per cluster.
/// </summary>
internal sealed record ClusterLoadAssignmentConfig
{
    public required string ClusterName { get; init; }

    /// <summary>Endpoints in file order; duplicates of an address are dropped (the first wins), as in Envoy.</summary>
    public EquatableArray<LbEndpointConfig> Endpoints { get; init; } = EquatableArray<LbEndpointConfig>.Empty;

    public SourceLocation Location { get; init; }
}
