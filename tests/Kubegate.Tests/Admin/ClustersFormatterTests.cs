using System.Net;
using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.Admin;

public class ClustersFormatterTests
{
    private readonly StatsStore _stats = new();

    [Fact]
    public void Text_ClusterAndHostLines()
    {
        var cluster = new ClusterState(
            new ClusterConfig { Name = "c", AltStatName = "alt", MaxConnections = 10, OutlierDetection = new OutlierDetectionConfig() },
            Assignment(TestEndpoints.Config(10001) with { Hostname = "api-1" }, TestEndpoints.Config(10002, weight: 3, health: EndpointHealthStatus.Unhealthy)),
            _stats, LoadBalancerFactory.For());
        var host = cluster.AllHosts.Hosts[0];
        host.OnConnectStarted();
        host.OnConnectStarted();
        host.OnConnectFailed(timedOut: true);

        var text = ClustersFormatter.FormatText([new ClusterView(cluster, AddedViaApi: true)]);

        Assert.Equal(
            """
            c::observability_name::alt
            c::outlier::success_rate_average::-1
            c::outlier::success_rate_ejection_threshold::-1
            c::outlier::local_origin_success_rate_average::-1
            c::outlier::local_origin_success_rate_ejection_threshold::-1
            c::default_priority::max_connections::10
            c::default_priority::max_pending_requests::1024
            c::default_priority::max_requests::1024
            c::default_priority::max_retries::3
            c::high_priority::max_connections::1024
            c::high_priority::max_pending_requests::1024
            c::high_priority::max_requests::1024
            c::high_priority::max_retries::3
            c::added_via_api::true
            c::127.0.0.1:10001::cx_active::1
            c::127.0.0.1:10001::cx_connect_fail::1
            c::127.0.0.1:10001::cx_total::2
            c::127.0.0.1:10001::rq_active::1
            c::127.0.0.1:10001::rq_error::1
            c::127.0.0.1:10001::rq_success::0
            c::127.0.0.1:10001::rq_timeout::1
            c::127.0.0.1:10001::rq_total::2
            c::127.0.0.1:10001::hostname::api-1
            c::127.0.0.1:10001::health_flags::healthy
            c::127.0.0.1:10001::weight::1
            c::127.0.0.1:10001::region::
            c::127.0.0.1:10001::zone::
            c::127.0.0.1:10001::sub_zone::
            c::127.0.0.1:10001::canary::false
            c::127.0.0.1:10001::priority::0
            c::127.0.0.1:10001::success_rate::-1
            c::127.0.0.1:10001::local_origin_success_rate::-1
            c::127.0.0.1:10001::kubegate_state::UP
            c::127.0.0.1:10001::kubegate_maintenance::enabled
            c::127.0.0.1:10002::cx_active::0
            c::127.0.0.1:10002::cx_connect_fail::0
            c::127.0.0.1:10002::cx_total::0
            c::127.0.0.1:10002::rq_active::0
            c::127.0.0.1:10002::rq_error::0
            c::127.0.0.1:10002::rq_success::0
            c::127.0.0.1:10002::rq_timeout::0
            c::127.0.0.1:10002::rq_total::0
            c::127.0.0.1:10002::hostname::
            c::127.0.0.1:10002::health_flags::/failed_eds_health
            c::127.0.0.1:10002::weight::3
            c::127.0.0.1:10002::region::
            c::127.0.0.1:10002::zone::
            c::127.0.0.1:10002::sub_zone::
            c::127.0.0.1:10002::canary::false
            c::127.0.0.1:10002::priority::0
            c::127.0.0.1:10002::success_rate::-1
            c::127.0.0.1:10002::local_origin_success_rate::-1
            c::127.0.0.1:10002::kubegate_state::DOWN
            c::127.0.0.1:10002::kubegate_maintenance::enabled

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Text_StaticClusterWithEdsServiceName_NoOutlierLines()
    {
        var cluster = new ClusterState(new ClusterConfig { Name = "s", EdsServiceName = "svc" }, Assignment(), _stats, LoadBalancerFactory.For());

        var lines = ClustersFormatter.FormatText([new ClusterView(cluster, AddedViaApi: false)]).Split('\n');

        Assert.DoesNotContain(lines, l => l.Contains("outlier", StringComparison.Ordinal));
        Assert.Contains("s::added_via_api::false", lines);
        Assert.Contains("s::eds_service_name::svc", lines);
    }

    [Fact]
    public void Text_HostsInPriorityThenAssignmentOrder()
    {
        var cluster = new ClusterState(
            new ClusterConfig { Name = "c" },
            Assignment(TestEndpoints.Config(10001) with { Priority = 1 }, TestEndpoints.Config(10002), TestEndpoints.Config(10003)),
            _stats, LoadBalancerFactory.For());

        var hosts = ClustersFormatter.FormatText([new ClusterView(cluster, true)]).Split('\n')
            .Where(l => l.EndsWith("::cx_total::0", StringComparison.Ordinal))
            .Select(l => l.Split("::")[1]);

        Assert.Equal(["127.0.0.1:10002", "127.0.0.1:10003", "127.0.0.1:10001"], hosts);
    }

    [Theory]
    [InlineData((int)(HealthFlags.None), "healthy")]
    [InlineData((int)(HealthFlags.ActiveHcTimeout | HealthFlags.FailedActiveHc), "/failed_active_hc/active_hc_timeout")]
    [InlineData((int)(HealthFlags.EdsStatusDraining | HealthFlags.FailedOutlierCheck | HealthFlags.PendingActiveHc), "/failed_outlier_check/pending_active_hc/eds_status_draining")]
    [InlineData((int)(HealthFlags.DegradedEdsHealth | HealthFlags.DegradedActiveHc | HealthFlags.FailedEdsHealth), "/failed_eds_health/degraded_active_hc/degraded_eds_health")]
    [InlineData((int)(HealthFlags.PendingDynamicRemoval | HealthFlags.ExcludedViaImmediateHcFail), "/pending_dynamic_removal/excluded_via_immediate_hc_fail")]
    public void HealthFlagsText_EnvoyOrder(int flags, string expected)
    {
        Assert.Equal(expected, ClustersFormatter.HealthFlagsText((HealthFlags)flags));
    }

    [Fact]
    public void Json_ClusterStatuses()
    {
        var cluster = new ClusterState(new ClusterConfig { Name = "c" }, Assignment(TestEndpoints.Config(10001, health: EndpointHealthStatus.Draining)), _stats, LoadBalancerFactory.For());
        cluster.AllHosts.Hosts[0].OnConnectStarted();

        var json = ClustersFormatter.FormatJson([new ClusterView(cluster, AddedViaApi: true)]);

        Assert.Equal(
            """{"cluster_statuses":[{"name":"c","observability_name":"c","added_via_api":true,"circuit_breakers":{"thresholds":[""" +
            """{"max_connections":1024,"max_pending_requests":1024,"max_requests":1024,"max_retries":3},""" +
            """{"priority":"HIGH","max_connections":1024,"max_pending_requests":1024,"max_requests":1024,"max_retries":3}]},""" +
            "\"" + """host_statuses":[{"address":{"socket_address":{"address":"127.0.0.1","port_value":10001}},"stats":[""" +
            """{"name":"cx_connect_fail","value":0},{"name":"cx_total","value":1},{"name":"rq_error","value":0},{"name":"rq_success","value":0},""" +
            """{"name":"rq_timeout","value":0},{"name":"rq_total","value":1},{"type":"GAUGE","name":"cx_active","value":1},{"type":"GAUGE","name":"rq_active","value":1}],""" +
            "\"" + """health_status":{"eds_health_status":"DRAINING"},"weight":1,"kubegate":{"state":"DRAINING","maintenance":"enabled"}}]}]}""",
            json);
        using var _ = JsonDocument.Parse(json);
    }

    [Fact]
    public void Listeners_TextAndJson()
    {
        ListenerView[] listeners = [new("l", new IPEndPoint(IPAddress.Loopback, 6443)), new("v6", new IPEndPoint(IPAddress.IPv6Loopback, 7443))];

        Assert.Equal("l::127.0.0.1:6443\nv6::[::1]:7443\n", ListenersFormatter.FormatText(listeners));
        Assert.Equal(
            """{"listener_statuses":[{"name":"l","local_address":{"socket_address":{"address":"127.0.0.1","port_value":6443}}},""" +
            """{"name":"v6","local_address":{"socket_address":{"address":"::1","port_value":7443}}}]}""",
            ListenersFormatter.FormatJson(listeners));
    }

    [Fact]
    public void ServerInfo_Json()
    {
        var json = ServerInfoFormatter.FormatJson(new ServerInfo("0.1.0", ServerState.Live, TimeSpan.FromSeconds(6.7), "envoy.yaml", "n1", null));

        Assert.Equal(
            """{"version":"0.1.0","state":"LIVE","hot_restart_version":"disabled","command_line_options":{"config_path":"envoy.yaml","mode":"Serve"},""" +
            "\"" + """node":{"id":"n1"},"uptime_current_epoch":"6s","uptime_all_epochs":"6s"}""",
            json);
    }

    private static ClusterLoadAssignmentConfig Assignment(params LbEndpointConfig[] endpoints) => new() { ClusterName = "c", Endpoints = [.. endpoints] };
}
