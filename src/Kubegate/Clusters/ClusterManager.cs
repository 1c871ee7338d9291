using System.Collections.Immutable;
using Kubegate.Configuration;
using Kubegate.Stats;

namespace Kubegate.Clusters;

/// <summary>
/// All clusters by name. Applying a snapshot updates clusters in place (keeping host state), adds new ones and
/// drops removed ones; the name map itself is immutable and swapped, so lookups never lock.
/// </summary>
internal sealed class ClusterManager
{
    private readonly StatsStore _stats;
    private readonly Func<ClusterConfig, ILoadBalancer> _balancers;
    private readonly Func<ClusterState, IClusterHealthMonitor>? _health;
    private readonly TimeProvider _time;
    private readonly Lock _applyLock = new();
    private volatile ImmutableDictionary<string, ClusterState> _clusters =
        ImmutableDictionary<string, ClusterState>.Empty.WithComparers(StringComparer.Ordinal);

    /// <param name="stats">The process stats.</param>
    /// <param name="balancers">Builds the balancer of an <c>lb_policy</c> (LoadBalancing's factory).</param>
    /// <param name="health">
    /// Builds a cluster's health monitor (active health checks and outlier detection); null runs clusters without
    /// either (unit tests). This is where health is wired to a cluster: the caller (Hosting) knows both sides.
    /// </param>
    /// <param name="time">The clock slow start measures with; null means the system clock.</param>
    public ClusterManager(StatsStore stats, Func<ClusterConfig, ILoadBalancer> balancers, Func<ClusterState, IClusterHealthMonitor>? health = null, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _stats = stats;
        _balancers = balancers;
        _health = health;
        ActiveClusters = stats.Gauge("cluster_manager.active_clusters");
        ClusterAdded = stats.Counter("cluster_manager.cluster_added");
        ClusterModified = stats.Counter("cluster_manager.cluster_modified");
        ClusterRemoved = stats.Counter("cluster_manager.cluster_removed");
    }

    public Gauge ActiveClusters { get; }

    public Counter ClusterAdded { get; }

    public Counter ClusterModified { get; }

    public Counter ClusterRemoved { get; }

    /// <summary>The operators' maintenance states (drain, disable), kept across reloads until enabled.</summary>
    public MaintenanceBook Maintenance { get; } = new();

    public IReadOnlyCollection<ClusterState> Clusters => _clusters.Values.ToArray();

    public bool TryGet(string name, out ClusterState cluster) => _clusters.TryGetValue(name, out cluster!);

    /// <summary>Makes the cluster set equal to the snapshot's (state of the world).</summary>
    public void Apply(ConfigSnapshot snapshot)
    {
        lock (_applyLock)
        {
            var current = _clusters;
            var builder = ImmutableDictionary.CreateBuilder<string, ClusterState>(StringComparer.Ordinal);
            foreach (var config in snapshot.Clusters)
            {
                snapshot.Assignments.TryGetValue(config.Name, out var assignment);
                if (current.TryGetValue(config.Name, out var existing)
                    && existing.Config.ObservabilityName == config.ObservabilityName)
                {
                    if (existing.Config != config)
                    {
                        ClusterModified.Increment();
                    }

                    existing.Update(config, assignment);
                    builder[config.Name] = existing;
                }
                else
                {
                    // A new stat name (alt_stat_name changed) means a new cluster object, as in Envoy: its stats
                    // objects are bound to the name for the life of the object.
                    builder[config.Name] = new ClusterState(config, assignment, _stats, _balancers, _health, _time, Maintenance);
                    existing?.Retire();
                    (existing is null ? ClusterAdded : ClusterModified).Increment();
                }
            }

            foreach (var name in current.Keys)
            {
                if (!builder.ContainsKey(name))
                {
                    current[name].Retire();
                    ClusterRemoved.Increment();
                }
            }

            _clusters = builder.ToImmutable();
            ActiveClusters.Set(_clusters.Count);
        }
    }
}
