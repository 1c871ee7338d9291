using System.Diagnostics;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Health;

namespace Kubegate.FunctionalTests.Health;

/// <summary>TCP checks: connect-only, and send/receive with fuzzy matching, against raw TCP servers.</summary>
public class TcpCheckTests
{
    [Fact]
    public async Task ConnectOnly_ServerStops_FailedAfterThreshold()
    {
        var echo = new TcpEchoServer();
        var endPoint = echo.EndPoint;
        await using var other = new TcpEchoServer();
        var snapshot = TestConfig.Simple([endPoint, other.EndPoint], cluster: c => c with { HealthChecks = [Check(new TcpHealthCheckConfig())] });
        await using var server = new Kubegate.Hosting.KubegateServer(snapshot);
        await server.StartAsync();
        Assert.True(server.Clusters.TryGet("c", out var cluster));
        var host = cluster.AllHosts.Hosts.Single(h => h.EndPoint.Equals(endPoint));
        Assert.Equal(HealthFlags.None, host.HealthFlags);

        var stopwatch = Stopwatch.StartNew();
        await echo.DisposeAsync();
        await HealthEvents.WaitForAsync(cluster, () => host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc), Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, "host failed");

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, HealthTestBed.DetectionBound());
        Assert.Equal("connect: connection refused", HostHealthInfo.For(host).LastCheck!.Reason);
        Assert.Equal(HealthCheckFailureType.Network, HostHealthInfo.For(host).LastCheck!.FailureType);
    }

    [Fact]
    public async Task ConnectOnly_HostNeverPasses_ItsFirstFailureIsAWarningAndTheRestAreNot()
    {
        var dead = DeadEndPoint.Create();
        await using var live = new TcpEchoServer();
        var logs = new Reload.LogCollector();
        var snapshot = TestConfig.Simple([dead, live.EndPoint], cluster: c => c with { HealthChecks = [Check(new TcpHealthCheckConfig())] });
        await using var server = new Kubegate.Hosting.KubegateServer(snapshot, loggerFactory: logs);
        await server.StartAsync();

        // A host that never passed makes no healthy → unhealthy transition, so without this line nothing in the log
        // would say why it takes no traffic.
        await Wait.UntilAsync(() => server.Stats.GetValue("cluster.c.health_check.failure") >= 3);
        var warnings = logs.Lines.Where(l => l.Contains($"health check of {dead} failed", StringComparison.Ordinal)).ToList();
        var warning = Assert.Single(warnings);
        Assert.Contains("Warning: cluster c: health check of", warning, StringComparison.Ordinal);
        Assert.Contains("connection refused", warning, StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Lines, l => l.Contains($"health check of {live.EndPoint} failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SendReceive_ExpectedBlocksInOrder_Healthy_WrongAnswerTimesOut()
    {
        await using var echo = new TcpEchoServer();
        var matching = Check(new TcpHealthCheckConfig { Send = "PING-PONG"u8.ToArray(), Receive = [(EquatableArray<byte>)"PING"u8.ToArray(), (EquatableArray<byte>)"PONG"u8.ToArray()] });
        var missing = Check(new TcpHealthCheckConfig { Send = "PING"u8.ToArray(), Receive = [(EquatableArray<byte>)"PONG"u8.ToArray()] });
        var snapshot = TestConfig.Snapshot(
            [TestConfig.Listener("l1", "ok"), TestConfig.Listener("l2", "wrong")],
            [TestConfig.Cluster("ok", c => c with { HealthChecks = [matching] }), TestConfig.Cluster("wrong", c => c with { HealthChecks = [missing] })],
            [TestConfig.Assignment("ok", echo.EndPoint), TestConfig.Assignment("wrong", echo.EndPoint)]);
        await using var server = new Kubegate.Hosting.KubegateServer(snapshot);
        await server.StartAsync();
        Assert.True(server.Clusters.TryGet("ok", out var ok));
        Assert.True(server.Clusters.TryGet("wrong", out var wrong));

        Assert.Equal(HealthFlags.None, ok.AllHosts.Hosts[0].HealthFlags);
        await HealthEvents.WaitForAsync(wrong, () => HostHealthInfo.For(wrong.AllHosts.Hosts[0]).LastCheck is not null, Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, "first check");
        Assert.True(wrong.AllHosts.Hosts[0].HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
        Assert.Equal(HealthCheckFailureType.NetworkTimeout, HostHealthInfo.For(wrong.AllHosts.Hosts[0]).LastCheck!.FailureType);
    }

    private static HealthCheckConfig Check(TcpHealthCheckConfig tcp) => new()
    {
        Timeout = TimeSpan.FromSeconds(HealthTestBed.CheckTimeout),
        Interval = TimeSpan.FromSeconds(HealthTestBed.Interval),
        NoTrafficInterval = TimeSpan.FromSeconds(HealthTestBed.Interval),
        UnhealthyThreshold = HealthTestBed.UnhealthyThreshold,
        HealthyThreshold = HealthTestBed.HealthyThreshold,
        Tcp = tcp,
    };
}
