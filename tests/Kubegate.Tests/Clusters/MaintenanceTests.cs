using System.Collections.Immutable;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;

namespace Kubegate.Tests.Clusters;

public class MaintenanceTests
{
    [Fact]
    public void Drain_TakesHostOutOfNewConnections_EnableBringsItBack()
    {
        var manager = new ClusterManager(new StatsStore(), LoadBalancerFactory.For());
        manager.Apply(Snapshot(10001, 10002));
        manager.TryGet("c1", out var cluster);

        Assert.True(cluster.SetMaintenance("127.0.0.1:10002", MaintenanceMode.Drain));

        Assert.Equal(["127.0.0.1:10001"], cluster.AvailableHosts.Hosts.Select(h => h.AddressText));
        Assert.Equal(ServingState.Draining, cluster.AllHosts.Hosts[1].ServingState);
        Assert.All(Enumerable.Range(0, 10), _ => Assert.Equal(10001, cluster.Pick()!.EndPoint.Port));

        Assert.True(cluster.SetMaintenance("127.0.0.1:10002", MaintenanceMode.None));
        Assert.Equal(2, cluster.AvailableHosts.Count);
        Assert.Equal(ServingState.Up, cluster.AllHosts.Hosts[1].ServingState);
    }

    [Fact]
    public void Disable_SurvivesAReloadThatDropsAndReaddsTheHost_UntilEnabled()
    {
        var manager = new ClusterManager(new StatsStore(), LoadBalancerFactory.For());
        manager.Apply(Snapshot(10001, 10002));
        manager.TryGet("c1", out var cluster);
        cluster.SetMaintenance("127.0.0.1:10002", MaintenanceMode.Disable);

        manager.Apply(Snapshot(10001));
        manager.Apply(Snapshot(10001, 10002));

        var readded = cluster.AllHosts.Hosts.Single(h => h.EndPoint.Port == 10002);
        Assert.Equal(MaintenanceMode.Disable, readded.Maintenance);
        Assert.Equal(ServingState.Disabled, readded.ServingState);
        Assert.DoesNotContain(readded, cluster.AvailableHosts.Hosts);
    }

    [Fact]
    public void UnknownAddress_IsRefused()
    {
        var manager = new ClusterManager(new StatsStore(), LoadBalancerFactory.For());
        manager.Apply(Snapshot(10001));
        manager.TryGet("c1", out var cluster);

        Assert.False(cluster.SetMaintenance("127.0.0.1:9", MaintenanceMode.Drain));
        Assert.Equal(MaintenanceMode.None, manager.Maintenance.Get("c1", "127.0.0.1:9"));
    }

    private static ConfigSnapshot Snapshot(params int[] ports)
    {
        var cluster = new ClusterConfig { Name = "c1", Type = DiscoveryType.Eds };
        var assignment = new ClusterLoadAssignmentConfig { ClusterName = "c1", Endpoints = [.. ports.Select(p => TestEndpoints.Config(p))] };
        return new ConfigSnapshot
        {
            Bootstrap = new BootstrapConfig { Path = "test" },
            Clusters = [cluster],
            Assignments = new Dictionary<string, ClusterLoadAssignmentConfig> { ["c1"] = assignment }.ToImmutableDictionary(StringComparer.Ordinal),
        };
    }
}
