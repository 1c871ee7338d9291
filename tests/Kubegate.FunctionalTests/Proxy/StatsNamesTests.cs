using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Stats;

namespace Kubegate.FunctionalTests.Proxy;

public class StatsNamesTests
{
    [Fact]
    public async Task Stats_OneProxiedConnection_EnvoyNamesExistAndCount()
    {
        await using var echo = new TcpEchoServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([echo.EndPoint]));
        await server.StartAsync();

        // Envoy roots listener stats at the *configured* address with ':' as '_': port 0 here, not the bound port.
        var listener = server.Snapshot.Listeners[0].StatScope;
        Assert.Equal("listener.127.0.0.1_0.", listener);

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        await client.SendAllAsync("12345"u8.ToArray());
        Assert.Equal("12345"u8.ToArray(), await client.ReceiveExactlyAsync(5));

        var stats = server.Stats;
        Assert.Equal(1, Stat(stats, listener + "downstream_cx_active"));
        Assert.Equal(1, Stat(stats, "cluster.c.upstream_cx_active"));
        Assert.Equal(1, Stat(stats, "cluster.c.upstream_rq_active"));

        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());
        await recorder.NextClosedAsync();

        Assert.Equal(1, Stat(stats, listener + "downstream_cx_total"));
        Assert.Equal(0, Stat(stats, listener + "downstream_cx_active"));
        Assert.Equal(1, Stat(stats, listener + "downstream_cx_destroy"));
        Assert.Equal(1, Stat(stats, "tcp.l.downstream_cx_total"));
        Assert.Equal(0, Stat(stats, "tcp.l.downstream_cx_no_route"));
        Assert.Equal(5, Stat(stats, "tcp.l.downstream_cx_rx_bytes_total"));
        Assert.Equal(5, Stat(stats, "tcp.l.downstream_cx_tx_bytes_total"));
        Assert.Equal(0, Stat(stats, "tcp.l.idle_timeout"));
        Assert.Equal(1, Stat(stats, "cluster.c.upstream_cx_total"));
        Assert.Equal(0, Stat(stats, "cluster.c.upstream_cx_active"));
        Assert.Equal(0, Stat(stats, "cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(0, Stat(stats, "cluster.c.upstream_cx_connect_timeout"));
        Assert.Equal(5, Stat(stats, "cluster.c.upstream_cx_rx_bytes_total"));
        Assert.Equal(5, Stat(stats, "cluster.c.upstream_cx_tx_bytes_total"));
        Assert.Equal(1, Stat(stats, "cluster.c.upstream_cx_destroy"));
        Assert.Equal(1, Stat(stats, "cluster.c.upstream_rq_total"));
        Assert.Equal(0, Stat(stats, "cluster.c.upstream_rq_active"));
        Assert.Equal(1, Stat(stats, "cluster.c.membership_total"));
        Assert.Equal(1, Stat(stats, "cluster.c.membership_healthy"));
        Assert.Equal(1, Stat(stats, "cluster_manager.active_clusters"));
        Assert.Equal(0, Stat(stats, "server.total_connections"));
    }

    [Fact]
    public async Task Stats_ListenerStatPrefix_ReplacesAddressInScope()
    {
        await using var echo = new TcpEchoServer();
        var snapshot = TestConfig.Simple([echo.EndPoint]);
        snapshot = snapshot with { Listeners = [snapshot.Listeners[0] with { StatPrefix = "apiserver" }] };
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(snapshot);
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());
        await recorder.NextClosedAsync();

        Assert.Equal(1, Stat(server.Stats, "listener.apiserver.downstream_cx_total"));
        Assert.Null(server.Stats.TryGetValue("listener.127.0.0.1_0.downstream_cx_total"));
    }

    [Fact]
    public async Task Stats_AltStatName_ClusterStatsUnderIt()
    {
        await using var echo = new TcpEchoServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([echo.EndPoint], cluster: c => c with { AltStatName = "cluster1_alt" }));
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());
        await recorder.NextClosedAsync();

        Assert.Equal(1, Stat(server.Stats, "cluster.cluster1_alt.upstream_cx_total"));
        Assert.Null(server.Stats.TryGetValue("cluster.c.upstream_cx_total"));
    }

    /// <summary>The stat's value; fails when no stat of that name exists (a wrong name must not read as 0).</summary>
    private static long Stat(StatsStore stats, string name)
    {
        var value = stats.TryGetValue(name);
        Assert.True(value.HasValue, $"no stat named {name}");
        return value.Value;
    }
}
