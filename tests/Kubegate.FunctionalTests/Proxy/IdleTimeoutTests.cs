using System.Diagnostics;
using System.Net.Sockets;
using Kubegate.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;

namespace Kubegate.FunctionalTests.Proxy;

public class IdleTimeoutTests
{
    [Fact]
    public async Task IdleTimeout_OneSecondWithoutTraffic_ClosesBothSidesAndCounts()
    {
        await using var upstream = new RawTcpServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([upstream.EndPoint], p => p with { IdleTimeout = TimeSpan.FromSeconds(1) }));
        await server.StartAsync();

        // Started before the connect: the proxy's idle clock starts later (once the upstream is connected).
        var stopwatch = Stopwatch.StartNew();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        var upstreamEnd = accepted.ReceiveUntilClosedAsync();
        var clientResult = await client.ReceiveUntilClosedAsync();
        var elapsed = stopwatch.Elapsed;
        var upstreamResult = await upstreamEnd;
        var closed = await recorder.NextClosedAsync();

        // The reactor's timer fires at the idle deadline (1 s after the last byte); the upper bound only catches a
        // timeout that never fires, with room for a loaded 2-core machine.
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(5));
        Assert.True(clientResult.CleanEof, $"client saw {clientResult.Error}, not FIN");
        Assert.True(upstreamResult.CleanEof, $"upstream saw {upstreamResult.Error}, not FIN");
        Assert.Empty(clientResult.Data);
        Assert.Empty(upstreamResult.Data);
        Assert.Equal(1, server.Stats.GetValue("tcp.l.idle_timeout"));
        Assert.Equal(ResponseFlags.None, closed.ResponseFlags);
        Assert.Equal(0, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_active"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
    }

    [Fact]
    public async Task IdleTimeout_Expired_ClosesBothSidesWithFinNotReset()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint], p => p with { IdleTimeout = TimeSpan.FromSeconds(1) }));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        var upstreamEnd = accepted.ReceiveUntilClosedAsync();
        var clientResult = await client.ReceiveUntilClosedAsync();
        var upstreamResult = await upstreamEnd;

        // Envoy closes an idle session normally (no response flag, close reason tcp_session_idle_timeout): both
        // peers get FIN. A reset would tell kubectl and the apiserver that something broke.
        Assert.True(clientResult.CleanEof && upstreamResult.CleanEof, $"client saw {clientResult.Error}, upstream saw {upstreamResult.Error} (Success = FIN)");
    }

    [Fact]
    public async Task IdleTimeout_Zero_StaysOpenPastHeartbeats()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint], p => p with { IdleTimeout = TimeSpan.Zero }));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await ExchangeAsync(client, accepted);

        // `0s` disables the timeout: a heartbeat must not read it as "idle for 0 ms is too long".
        server.Connections.OnHeartbeat();
        server.Connections.OnHeartbeat();

        Assert.True(await client.StaysSilentAsync(TimeSpan.FromMilliseconds(300)), "the client side was closed");
        Assert.True(await accepted.StaysSilentAsync(TimeSpan.FromMilliseconds(50)), "the upstream side was closed");
        Assert.Equal(1, server.Connections.Count);
        Assert.Equal(0, server.Stats.GetValue("tcp.l.idle_timeout"));
        await ExchangeAsync(client, accepted);
    }

    [Fact]
    public async Task IdleTimeout_NotYetReached_HeartbeatKeepsConnection()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint], p => p with { IdleTimeout = TimeSpan.FromSeconds(30) }));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await ExchangeAsync(client, accepted);

        server.Connections.OnHeartbeat();

        Assert.True(await client.StaysSilentAsync(TimeSpan.FromMilliseconds(100)), "the client side was closed");
        Assert.Equal(0, server.Stats.GetValue("tcp.l.idle_timeout"));
        await ExchangeAsync(client, accepted);
    }

    private static async Task ExchangeAsync(Socket client, Socket upstream)
    {
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await upstream.ReceiveExactlyAsync(4));
        await upstream.SendAllAsync("pong"u8.ToArray());
        Assert.Equal("pong"u8.ToArray(), await client.ReceiveExactlyAsync(4));
    }
}
