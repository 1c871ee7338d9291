namespace Kubegate.Configuration;

/// <summary>One entry of <c>tcp_proxy.weighted_clusters.clusters</c>.</summary>
internal sealed record WeightedClusterConfig(string Name, uint Weight);
