using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Admin.DashboardModel;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;
using Kubegate.Hosting;
using Kubegate.LoadBalancing;
using Kubegate.Stats;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.Admin;

public class DashboardStateTests
{
    private static readonly DateTimeOffset Now = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private readonly StatsStore _stats = new();

    [Fact]
    public void Json_HealthyAndFailingHost()
    {
        var json = JsonDocument.Parse(Format(BuildCluster())).RootElement;

        var server = json.GetProperty("server");
        Assert.Equal("1.2.3", server.GetProperty("version").GetString());
        Assert.Equal("LIVE", server.GetProperty("state").GetString());
        Assert.Equal(90, server.GetProperty("uptime_seconds").GetInt64());
        Assert.Equal("2025-01-02T03:04:05.000Z", server.GetProperty("now").GetString());

        var listener = Assert.Single(json.GetProperty("listeners").EnumerateArray());
        Assert.Equal("l", listener.GetProperty("name").GetString());
        Assert.Equal("127.0.0.1:6443", listener.GetProperty("address").GetString());
        Assert.Equal("c", listener.GetProperty("cluster").GetString());
        Assert.Equal(3, listener.GetProperty("active_connections").GetInt64());

        var cluster = Assert.Single(json.GetProperty("clusters").EnumerateArray());
        Assert.Equal("c", cluster.GetProperty("name").GetString());
        Assert.False(cluster.GetProperty("panic").GetBoolean());
        Assert.Equal(1, cluster.GetProperty("healthy").GetInt32());
        Assert.Equal(2, cluster.GetProperty("total").GetInt32());
        Assert.Equal("LEAST_REQUEST", cluster.GetProperty("lb_policy").GetString());
        Assert.Equal(1000, cluster.GetProperty("rx_bytes").GetInt64());
        Assert.Equal(200, cluster.GetProperty("tx_bytes").GetInt64());

        var endpoints = cluster.GetProperty("endpoints").EnumerateArray().ToArray();
        Assert.Equal(2, endpoints.Length);

        var healthy = endpoints[0];
        Assert.Equal("127.0.0.1:10001", healthy.GetProperty("address").GetString());
        Assert.Equal("healthy", healthy.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, healthy.GetProperty("reason").ValueKind);
        Assert.Equal("healthy", healthy.GetProperty("health_flags").GetString());
        Assert.Equal(1, healthy.GetProperty("active_connections").GetInt64());
        Assert.Equal(2, healthy.GetProperty("total_connections").GetInt64());
        var check = healthy.GetProperty("last_check");
        Assert.True(check.GetProperty("succeeded").GetBoolean());
        Assert.Equal(12.3, check.GetProperty("latency_ms").GetDouble());
        Assert.Equal("HTTP 200", check.GetProperty("result").GetString());
        Assert.Equal("2025-01-02T03:04:04.000Z", check.GetProperty("time").GetString());
        Assert.Empty(healthy.GetProperty("changes").EnumerateArray());

        var failing = endpoints[1];
        Assert.Equal("127.0.0.1:10002", failing.GetProperty("address").GetString());
        Assert.Equal("failing", failing.GetProperty("state").GetString());
        Assert.Equal("connection refused", failing.GetProperty("reason").GetString());
        Assert.Equal("/failed_active_hc", failing.GetProperty("health_flags").GetString());
        Assert.Equal(0, failing.GetProperty("active_connections").GetInt64());
        Assert.False(failing.GetProperty("last_check").GetProperty("succeeded").GetBoolean());
        Assert.Equal("connection refused", failing.GetProperty("last_check").GetProperty("result").GetString());
        var changes = failing.GetProperty("changes").EnumerateArray().ToArray();
        Assert.Equal(2, changes.Length);
        Assert.Equal("failing", changes[0].GetProperty("to").GetString()); // newest first
        Assert.Equal("healthy", changes[0].GetProperty("from").GetString());
        Assert.Equal("2 consecutive NETWORK failures: connection refused", changes[0].GetProperty("reason").GetString());
        Assert.Equal("active_hc", changes[0].GetProperty("source").GetString());
        Assert.Equal("healthy", changes[1].GetProperty("to").GetString());
        Assert.Equal("pending", changes[1].GetProperty("from").GetString());

        Assert.Equal("/etc/kubegate/cds.yaml", Assert.Single(json.GetProperty("config").GetProperty("files").EnumerateArray()).GetProperty("file").GetString());
    }

    [Theory]
    [InlineData(HealthFlags.None, "healthy")]
    [InlineData(HealthFlags.PendingDynamicRemoval, "healthy")]
    [InlineData(HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, "pending")]
    [InlineData(HealthFlags.FailedActiveHc | HealthFlags.ActiveHcTimeout, "failing")]
    [InlineData(HealthFlags.FailedEdsHealth, "failing")]
    [InlineData(HealthFlags.FailedOutlierCheck, "ejected")]
    [InlineData(HealthFlags.DegradedActiveHc, "degraded")]
    [InlineData(HealthFlags.EdsStatusDraining, "degraded")]
    internal void StateOf_Flags(HealthFlags flags, string expected) => Assert.Equal(expected, DashboardState.StateOf(flags));

    [Fact]
    public void StatusTable_RendersAlignedColumns()
    {
        var document = JsonSerializer.Deserialize(Format(BuildCluster()), DashboardJsonContext.Default.DashboardDocument)!;

        var text = StatusCommand.Render(document);

        Assert.Equal(
            """
            kubegate 1.2.3  state LIVE  uptime 90s

            CLUSTER  ENDPOINT         SERVING  STATE    ACTIVE  TOTAL  LAST CHECK  REASON
            c        127.0.0.1:10001  UP       healthy  1       2      ok 12.3ms   -
            c        127.0.0.1:10002  DOWN     failing  0       0      FAIL 1.5ms  connection refused

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void StatusTable_ClusterWithoutEndpoints()
    {
        var cluster = new ClusterState(new ClusterConfig { Name = "empty" }, new ClusterLoadAssignmentConfig { ClusterName = "empty" }, _stats, LoadBalancerFactory.For());
        var document = JsonSerializer.Deserialize(Format(cluster), DashboardJsonContext.Default.DashboardDocument)!;

        var text = StatusCommand.Render(document);

        Assert.Contains("empty    -         -        -      -       -      -           no endpoints\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_LastReloadPerFile()
    {
        var board = new Kubegate.Configuration.Watching.ReloadStatusBoard();
        board.Record(
            new Kubegate.Configuration.Watching.ReloadResult("cds", "cds.yaml", Kubegate.Configuration.Watching.ReloadOutcome.Rejected, "v8", [new ConfigError("cds.yaml", 4, "resources[0].connect_timeout", "bad duration", "write \"5s\"")]),
            Now);

        var json = JsonDocument.Parse(Format(BuildCluster(), board.Entries)).RootElement;

        var reload = Assert.Single(json.GetProperty("config").GetProperty("reloads").EnumerateArray());
        Assert.Equal("cds", reload.GetProperty("subscription").GetString());
        Assert.Equal("cds.yaml", reload.GetProperty("file").GetString());
        Assert.Equal("rejected", reload.GetProperty("outcome").GetString());
        Assert.Equal("v8", reload.GetProperty("version_info").GetString());
        Assert.Equal("cds.yaml:4: resources[0].connect_timeout: bad duration (write \"5s\")", reload.GetProperty("problem").GetString());
        Assert.Equal(Now.UtcDateTime, reload.GetProperty("at").GetDateTime().ToUniversalTime());
    }

    private string Format(ClusterState cluster, IReadOnlyList<Kubegate.Configuration.Watching.ReloadStatusEntry>? reloads = null)
    {
        _stats.Gauge("listener.127.0.0.1_6443.downstream_cx_active").Set(3);
        var snapshot = new ConfigSnapshot
        {
            Bootstrap = new BootstrapConfig { Path = "/etc/kubegate/envoy.yaml" },
            VersionInfo = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("/etc/kubegate/cds.yaml", "v7"),
        };
        return DashboardState.FormatJson(DashboardState.Build(
            new DashboardServerInfo("1.2.3", ServerState.Live, TimeSpan.FromSeconds(90.7), Now),
            [new DashboardListener("l", "127.0.0.1:6443", "c", 3, 10)],
            [cluster],
            _stats,
            snapshot,
            reloads));
    }

    private ClusterState BuildCluster()
    {
        var cluster = new ClusterState(
            new ClusterConfig { Name = "c", LbPolicy = LbPolicy.LeastRequest },
            new ClusterLoadAssignmentConfig { ClusterName = "c", Endpoints = [TestEndpoints.Config(10001), TestEndpoints.Config(10002)] },
            _stats, LoadBalancerFactory.For());
        cluster.Stats.UpstreamCxRxBytesTotal.Add(1000);
        cluster.Stats.UpstreamCxTxBytesTotal.Add(200);
        var healthy = cluster.AllHosts.Hosts[0];
        var failing = cluster.AllHosts.Hosts[1];
        healthy.OnConnectStarted();
        healthy.OnConnectStarted();
        healthy.OnConnectionClosed();
        HostHealthInfo.For(healthy).RecordCheck(new HealthCheckRecord(Now.AddSeconds(-1), true, null, TimeSpan.FromMilliseconds(12.34), null, 200));

        failing.UpdateHealthFlags(HealthFlags.FailedActiveHc, HealthFlags.None);
        cluster.RecomputeAvailability();
        var info = HostHealthInfo.For(failing);
        info.RecordChange(new HealthChange(Now.AddSeconds(-30), HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, HealthFlags.None, "active_hc", "first check passed"));
        info.RecordChange(new HealthChange(Now.AddSeconds(-2), HealthFlags.None, HealthFlags.FailedActiveHc, "active_hc", "2 consecutive NETWORK failures: connection refused"));
        info.RecordCheck(new HealthCheckRecord(Now.AddSeconds(-1), false, HealthCheckFailureType.Network, TimeSpan.FromMilliseconds(1.5), "connection refused", null));
        return cluster;
    }
}
