using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Health;

/// <summary>A cluster added by a live update warms (first health-check round) before a listener routes to it.</summary>
public class ClusterWarmupTests
{
    [Fact]
    public async Task ApplyAsync_ClusterAddedWithHealthCheck_HostCheckedBeforeApplyReturns()
    {
        await using var echo = new TcpEchoServer();
        var check = new HealthCheckConfig
        {
            Timeout = TimeSpan.FromSeconds(HealthTestBed.CheckTimeout),
            Interval = TimeSpan.FromSeconds(HealthTestBed.Interval),
            NoTrafficInterval = TimeSpan.FromSeconds(HealthTestBed.Interval),
            UnhealthyThreshold = HealthTestBed.UnhealthyThreshold,
            HealthyThreshold = HealthTestBed.HealthyThreshold,
            Tcp = new TcpHealthCheckConfig(),
        };
        var first = TestConfig.Simple([echo.EndPoint]);
        await using var server = new KubegateServer(first);
        await server.StartAsync();

        // The update adds cluster "added" (health-checked, panic disabled so an unchecked host would be unusable)
        // and a listener routing to it.
        var next = TestConfig.Snapshot(
            [.. first.Listeners, TestConfig.Listener("l2", "added")],
            [.. first.Clusters, TestConfig.Cluster("added", c => c with { HealthChecks = [check], HealthyPanicThreshold = 0 })],
            [.. first.Assignments.Values, TestConfig.Assignment("added", echo.EndPoint)]);
        await server.ApplyAsync(next);

        Assert.True(server.Clusters.TryGet("added", out var added));
        Assert.Equal(HealthFlags.None, added.AllHosts.Hosts[0].HealthFlags);
        Assert.Equal(1, added.AvailableHosts.Count);
        Assert.True(server.Stats.GetValue("cluster.added.health_check.attempt") >= 1);
    }
}
