using System.Collections.Immutable;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;

namespace Kubegate.Tests.Clusters;

public class ClusterManagerTests
{
    private readonly StatsStore _stats = new();

    [Fact]
    public void Apply_NewClusters_AddedAndCounted()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());

        manager.Apply(Snapshot([Cluster("a"), Cluster("b")], Assignment("a", 10001), Assignment("b", 10002, 10003)));

        Assert.True(manager.TryGet("a", out var a));
        Assert.True(manager.TryGet("b", out var b));
        Assert.Equal(1, a.AllHosts.Count);
        Assert.Equal(2, b.AllHosts.Count);
        Assert.Equal(2, manager.Clusters.Count);
        Assert.Equal(2, _stats.GetValue("cluster_manager.cluster_added"));
        Assert.Equal(0, _stats.GetValue("cluster_manager.cluster_modified"));
        Assert.Equal(0, _stats.GetValue("cluster_manager.cluster_removed"));
        Assert.Equal(2, _stats.GetValue("cluster_manager.active_clusters"));
    }

    [Fact]
    public void Apply_ModifiedCluster_SameStateObjectCountedOnce()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a"), Cluster("b")], Assignment("a", 10001), Assignment("b", 10002)));
        manager.TryGet("a", out var before);
        var host = before.AllHosts.Hosts[0];

        manager.Apply(Snapshot([Cluster("a") with { ConnectTimeout = TimeSpan.FromSeconds(1) }, Cluster("b")], Assignment("a", 10001), Assignment("b", 10002)));

        manager.TryGet("a", out var after);
        Assert.Same(before, after);
        Assert.Same(host, after.AllHosts.Hosts[0]);
        Assert.Equal(TimeSpan.FromSeconds(1), after.Config.ConnectTimeout);
        Assert.Equal(1, _stats.GetValue("cluster_manager.cluster_modified"));
        Assert.Equal(2, _stats.GetValue("cluster_manager.cluster_added"));
        Assert.Equal(2, _stats.GetValue("cluster_manager.active_clusters"));
    }

    [Fact]
    public void Apply_EndpointsOnlyChanged_NotModifiedButHostsUpdated()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001)));

        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001, 10002)));

        manager.TryGet("a", out var a);
        Assert.Equal(2, a.AllHosts.Count);
        Assert.Equal(0, _stats.GetValue("cluster_manager.cluster_modified"));
        Assert.Equal(2, _stats.GetValue("cluster.a.membership_total"));
    }

    [Fact]
    public void Apply_IdenticalSnapshot_NothingCounted()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001)));

        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001)));

        Assert.Equal(1, _stats.GetValue("cluster_manager.cluster_added"));
        Assert.Equal(0, _stats.GetValue("cluster_manager.cluster_modified"));
        Assert.Equal(0, _stats.GetValue("cluster_manager.cluster_removed"));
    }

    [Fact]
    public void Apply_RemovedCluster_GoneAndCounted()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a"), Cluster("b")], Assignment("a", 10001), Assignment("b", 10002)));

        manager.Apply(Snapshot([Cluster("b")], Assignment("b", 10002)));

        Assert.False(manager.TryGet("a", out _));
        Assert.True(manager.TryGet("b", out _));
        Assert.Equal(1, _stats.GetValue("cluster_manager.cluster_removed"));
        Assert.Equal(1, _stats.GetValue("cluster_manager.active_clusters"));
    }

    [Fact]
    public void Apply_RemovedThenReAdded_FreshStateCountedAsAdded()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001)));
        manager.TryGet("a", out var first);

        manager.Apply(Snapshot([]));
        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001)));

        manager.TryGet("a", out var second);
        Assert.NotSame(first, second);
        Assert.Equal(2, _stats.GetValue("cluster_manager.cluster_added"));
        Assert.Equal(1, _stats.GetValue("cluster_manager.cluster_removed"));
    }

    [Fact]
    public void Apply_ClusterWithoutAssignment_NoHosts()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());

        manager.Apply(Snapshot([Cluster("a")]));

        Assert.True(manager.TryGet("a", out var a));
        Assert.Equal(0, a.AllHosts.Count);
        Assert.Null(a.Pick());
    }

    [Fact]
    public void TryGet_IsCaseSensitive()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a")]));

        Assert.False(manager.TryGet("A", out _));
    }

    [Fact]
    public void Apply_AltStatNameChanged_StatsMoveToNewName()
    {
        var manager = new ClusterManager(_stats, LoadBalancerFactory.For());
        manager.Apply(Snapshot([Cluster("a")], Assignment("a", 10001)));

        manager.Apply(Snapshot([Cluster("a") with { AltStatName = "renamed" }], Assignment("a", 10001)));

        // alt_stat_name names the stats scope; after the change the cluster must count under the new name.
        manager.TryGet("a", out var a);
        a.Pick();
        Assert.Equal(1, _stats.GetValue("cluster.renamed.membership_total"));
        Assert.Equal("cluster.renamed.upstream_cx_total", a.Stats.UpstreamCxTotal.Name);
    }

    private static ClusterConfig Cluster(string name) => new() { Name = name };

    private static ClusterLoadAssignmentConfig Assignment(string cluster, params int[] ports) => new()
    {
        ClusterName = cluster,
        Endpoints = [.. ports.Select(p => TestEndpoints.Config(p))],
    };

    private static ConfigSnapshot Snapshot(ClusterConfig[] clusters, params ClusterLoadAssignmentConfig[] assignments) => new()
    {
        Bootstrap = new BootstrapConfig { Path = "test" },
        Clusters = [.. clusters],
        Assignments = assignments.ToImmutableDictionary(a => a.ClusterName, StringComparer.Ordinal),
    };
}
