using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Stats;

namespace Kubegate.Tests.Admin;

public class StatsFormatterTests
{
    private static StatsStore Store()
    {
        var store = new StatsStore();
        store.Counter("cluster.c.upstream_cx_total").Add(3);
        store.Gauge("cluster.c.upstream_cx_active").Set(2);
        store.Counter("cluster_manager.cluster_added").Increment();
        store.Gauge("cluster.c.membership_total");
        store.TextReadout("listener_manager.lds.version_text").Set("v\"1");
        store.Counter("tcp.ingress.downstream_cx_total").Add(5);
        store.Counter("listener.127.0.0.1_6443.downstream_cx_total").Add(7);
        store.Gauge("server.live").Set(1);
        return store;
    }

    [Fact]
    public void Text_TextReadoutsFirst_ThenCountersAndGaugesInterleaved()
    {
        var text = StatsTextFormatter.FormatText(StatsSelection.Select(Store(), filter: null, usedOnly: false));

        Assert.Equal(
            """
            listener_manager.lds.version_text: "v\"1"
            cluster.c.membership_total: 0
            cluster.c.upstream_cx_active: 2
            cluster.c.upstream_cx_total: 3
            cluster_manager.cluster_added: 1
            listener.127.0.0.1_6443.downstream_cx_total: 7
            server.live: 1
            tcp.ingress.downstream_cx_total: 5

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Text_FilterAndUsedOnly()
    {
        Assert.True(StatsSelection.TryCreateFilter("^cluster\\.c\\.", out var filter, out _));
        var text = StatsTextFormatter.FormatText(StatsSelection.Select(Store(), filter, usedOnly: true));

        Assert.Equal("cluster.c.upstream_cx_active: 2\ncluster.c.upstream_cx_total: 3\n", text);
    }

    [Fact]
    public void Filter_PartialMatch()
    {
        Assert.True(StatsSelection.TryCreateFilter("cx_total", out var filter, out _));
        var names = StatsSelection.Select(Store(), filter, usedOnly: false).Select(s => s.Name);

        Assert.Equal(["cluster.c.upstream_cx_total", "listener.127.0.0.1_6443.downstream_cx_total", "tcp.ingress.downstream_cx_total"], names);
    }

    [Fact]
    public void Filter_InvalidRegex_Refused()
    {
        Assert.False(StatsSelection.TryCreateFilter("(", out var filter, out var error));
        Assert.Null(filter);
        Assert.NotNull(error);
    }

    [Fact]
    public void Json_StatsArray()
    {
        var store = new StatsStore();
        store.TextReadout("a.version_text").Set("x");
        store.Counter("b.count").Add(4);
        store.Gauge("a.gauge").Set(-1);

        var json = StatsTextFormatter.FormatJson(StatsSelection.Select(store, null, usedOnly: false));

        Assert.Equal("""{"stats":[{"name":"a.version_text","value":"x"},{"name":"a.gauge","value":-1},{"name":"b.count","value":4}]}""", json);
        using var _ = JsonDocument.Parse(json);
    }

    [Fact]
    public void Prometheus_TagsExtracted_FamiliesSorted_CountersThenGauges()
    {
        var store = Store();
        store.Counter("cluster.other.upstream_cx_total").Add(1);

        var text = PrometheusFormatter.Format(StatsSelection.Select(store, null, usedOnly: false, includeTextReadouts: false));

        Assert.Equal(
            """
            # TYPE envoy_cluster_manager_cluster_added counter
            envoy_cluster_manager_cluster_added{} 1
            # TYPE envoy_cluster_upstream_cx_total counter
            envoy_cluster_upstream_cx_total{envoy_cluster_name="c"} 3
            envoy_cluster_upstream_cx_total{envoy_cluster_name="other"} 1
            # TYPE envoy_listener_downstream_cx_total counter
            envoy_listener_downstream_cx_total{envoy_listener_address="127.0.0.1_6443"} 7
            # TYPE envoy_tcp_downstream_cx_total counter
            envoy_tcp_downstream_cx_total{envoy_tcp_prefix="ingress"} 5
            # TYPE envoy_cluster_membership_total gauge
            envoy_cluster_membership_total{envoy_cluster_name="c"} 0
            # TYPE envoy_cluster_upstream_cx_active gauge
            envoy_cluster_upstream_cx_active{envoy_cluster_name="c"} 2
            # TYPE envoy_server_live gauge
            envoy_server_live{} 1

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Theory]
    [InlineData("cluster.c1.health_check.attempt", "envoy_cluster_health_check_attempt", "envoy_cluster_name=\"c1\"")]
    [InlineData("listener_manager.lds.update_success", "envoy_listener_manager_lds_update_success", "")]
    [InlineData("listener.[__1]_6443.downstream_cx_total", "envoy_listener_downstream_cx_total", "envoy_listener_address=\"[__1]_6443\"")]
    [InlineData("listener.admin.downstream_cx_total", "envoy_listener_admin_downstream_cx_total", "")]
    [InlineData("tcp.a-b.idle_timeout", "envoy_tcp_idle_timeout", "envoy_tcp_prefix=\"a-b\"")]
    [InlineData("cluster.c.circuit_breakers.default.cx_open", "envoy_cluster_circuit_breakers_default_cx_open", "envoy_cluster_name=\"c\"")]
    public void Prometheus_ExtractTags(string name, string metric, string labels)
    {
        Assert.Equal((metric, labels), PrometheusFormatter.ExtractTags(name));
    }
}
