using Kubegate.Clusters;

namespace Kubegate.Health;

/// <summary>The health view of a <see cref="ClusterState"/>, for code that imports Health (Clusters does not).</summary>
internal static class ClusterStateHealthExtensions
{
    extension(ClusterState cluster)
    {
        /// <summary>The cluster's active checks and outlier detection; null when it runs without health.</summary>
        public ClusterHealth? Health => cluster.HealthMonitor as ClusterHealth;
    }
}
