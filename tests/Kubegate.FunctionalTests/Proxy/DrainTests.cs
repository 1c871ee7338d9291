using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Proxy;

public class DrainTests
{
    [Fact]
    public async Task StopAsync_DrainDeadlinePassed_ClosesOpenConnectionsWithFin()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { DrainTime = TimeSpan.FromMilliseconds(200) });
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await accepted.ReceiveExactlyAsync(4));

        var upstreamEnd = accepted.ReceiveUntilClosedAsync();
        var clientEnd = client.ReceiveUntilClosedAsync();
        await server.StopAsync().DefaultTimeout();
        var clientResult = await clientEnd;
        var upstreamResult = await upstreamEnd;

        // CloseForShutdown documents "a plain close, FIN where the kernel can".
        Assert.True(clientResult.CleanEof && upstreamResult.CleanEof, $"client saw {clientResult.Error}, upstream saw {upstreamResult.Error} (Success = FIN)");
        await Wait.UntilAsync(() => server.Connections.Count == 0);
    }

    [Fact]
    public async Task StopAsync_ConnectionEndsWithinDrainTime_NotForceClosed()
    {
        await using var echo = new TcpEchoServer();
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint]), new KubegateServerOptions { DrainTime = TimeSpan.FromSeconds(10) });
        await server.StartAsync();
        var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));

        var stop = server.StopAsync();

        // Still relaying while draining; the client finishes on its own and StopAsync returns without the deadline.
        await client.SendAllAsync("last"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("last"u8.ToArray(), await client.ReceiveToEndAsync());
        client.Dispose();
        await stop.DefaultTimeout();
        Assert.Equal(0, server.Connections.Count);
        Assert.Equal(0, server.Stats.GetValue("server.live"));
    }
}
