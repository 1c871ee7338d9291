using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Proxy;

public class ResetPropagationTests
{
    [Fact]
    public async Task Reset_UpstreamResets_ClientSeesConnectionReset()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await ExchangeAsync(client, accepted);

        accepted.Reset();

        var result = await client.ReceiveUntilClosedAsync();
        Assert.Empty(result.Data);
        Assert.Equal(SocketError.ConnectionReset, result.Error);
    }

    [Fact]
    public async Task Reset_ClientResets_UpstreamSeesConnectionReset()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await ExchangeAsync(client, accepted);

        client.Reset();

        var result = await accepted.ReceiveUntilClosedAsync();
        Assert.Empty(result.Data);
        Assert.Equal(SocketError.ConnectionReset, result.Error);
    }

    [Fact]
    public async Task Reset_UpstreamResetsAfterClientHalfClose_ClientSeesResetNotEof()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await ExchangeAsync(client, accepted);
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await accepted.ReceiveToEndAsync());

        // A broken response stream must not look complete to the client.
        accepted.Reset();

        var result = await client.ReceiveUntilClosedAsync();
        Assert.Equal(SocketError.ConnectionReset, result.Error);
    }

    [Fact]
    public async Task Reset_UpstreamResets_ConnectionAccountedOnce()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await ExchangeAsync(client, accepted);

        accepted.Reset();
        await client.ReceiveUntilClosedAsync();

        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 1);
        Assert.Equal(0, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_active"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_destroy"));
        Assert.Equal(0, server.Connections.Count);
    }

    private static async Task ExchangeAsync(Socket client, Socket upstream)
    {
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await upstream.ReceiveExactlyAsync(4));
        await upstream.SendAllAsync("pong"u8.ToArray());
        Assert.Equal("pong"u8.ToArray(), await client.ReceiveExactlyAsync(4));
    }
}
