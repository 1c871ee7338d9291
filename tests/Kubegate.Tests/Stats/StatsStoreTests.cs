using Kubegate.Stats;

namespace Kubegate.Tests.Stats;

public class StatsStoreTests
{
    [Fact]
    public void Counter_SameName_SameInstance()
    {
        var store = new StatsStore();

        Assert.Same(store.Counter("a.b"), store.Counter("a.b"));
        Assert.Same(store.Gauge("a.g"), store.Gauge("a.g"));
    }

    [Fact]
    public void TryGetValue_UnknownName_NullAndGetValueZero()
    {
        var store = new StatsStore();

        Assert.Null(store.TryGetValue("nope"));
        Assert.Equal(0, store.GetValue("nope"));
    }

    [Fact]
    public void GetValue_CounterAndGauge_CurrentValues()
    {
        var store = new StatsStore();
        store.Counter("c").Add(5);
        store.Counter("c").Increment();
        var gauge = store.Gauge("g");
        gauge.Increment();
        gauge.Increment();
        gauge.Decrement();

        Assert.Equal(6, store.GetValue("c"));
        Assert.Equal(1, store.GetValue("g"));
    }

    [Fact]
    public void Used_OnlyAfterWrite()
    {
        var store = new StatsStore();
        var counter = store.Counter("c");
        var gauge = store.Gauge("g");
        Assert.False(counter.Used);
        Assert.False(gauge.Used);

        counter.Add(0);
        gauge.Set(0);

        Assert.True(counter.Used);
        Assert.True(gauge.Used);
    }

    [Fact]
    public void ResetCounters_ZeroesCountersKeepsGauges()
    {
        var store = new StatsStore();
        store.Counter("c").Add(3);
        store.Gauge("g").Set(7);

        store.ResetCounters();

        Assert.Equal(0, store.TryGetValue("c"));
        Assert.Equal(7, store.GetValue("g"));
    }

    [Fact]
    public void Counters_SortedByName()
    {
        var store = new StatsStore();
        store.Counter("b");
        store.Counter("a");
        store.Counter("c");

        Assert.Equal(["a", "b", "c"], store.Counters.Select(c => c.Name));
    }

    [Fact]
    public void ClusterStats_EnvoyNamesUnderClusterScope()
    {
        var store = new StatsStore();
        var stats = new ClusterStats(store, "c1");

        Assert.Equal("cluster.c1.upstream_cx_total", stats.UpstreamCxTotal.Name);
        Assert.Equal("cluster.c1.upstream_cx_connect_attempts_exceeded", stats.UpstreamCxConnectAttemptsExceeded.Name);
        Assert.Equal("cluster.c1.upstream_cx_none_healthy", stats.UpstreamCxNoneHealthy.Name);
        Assert.Equal("cluster.c1.lb_healthy_panic", stats.LbHealthyPanic.Name);
        Assert.NotNull(store.TryGetValue("cluster.c1.upstream_cx_rx_bytes_total"));
        Assert.NotNull(store.TryGetValue("cluster.c1.membership_healthy"));
    }

    [Fact]
    public void TcpProxyStats_EnvoyNamesUnderTcpScope()
    {
        var store = new StatsStore();
        var stats = new TcpProxyStats(store, "ingress");

        Assert.Equal("tcp.ingress.downstream_cx_total", stats.DownstreamCxTotal.Name);
        Assert.Equal("tcp.ingress.downstream_cx_no_route", stats.DownstreamCxNoRoute.Name);
        Assert.Equal("tcp.ingress.idle_timeout", stats.IdleTimeout.Name);
    }

    [Fact]
    public async Task Counter_ConcurrentIncrements_NoneLost()
    {
        var counter = new StatsStore().Counter("c");

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                counter.Increment();
            }
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(400_000, counter.Value);
    }
}
