using System.Net.Sockets;
using Kubegate.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;
using Kubegate.Proxy.Reactors;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Proxy;

/// <summary>
/// The data path's behaviours that depend on how the reactors learn about ready sockets, on both interfaces: the
/// rest of the suite runs on the default (io_uring where the kernel allows it), these also on the epoll fallback.
/// What differs between them is registration, the level-triggered listener and the close (with io_uring a close
/// goes through the ring after the poll's cancellation), so that is what these cover.
/// </summary>
public class EventInterfaceTests
{
    public static TheoryData<string> Interfaces => new() { "auto", "epoll" };

    [Theory]
    [MemberData(nameof(Interfaces))]
    public async Task HalfClose_BothDirectionsEndInTurn_EveryByteAndTheEndPassedOn(string eventInterface)
    {
        await using var upstream = new RawTcpServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([upstream.EndPoint]), Options(eventInterface));
        await server.StartAsync();
        Assert.Equal(Expected(eventInterface), server.Connections.Reactors!.EventInterfaceName);
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        await client.SendAllAsync("request"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("request"u8.ToArray(), await accepted.ReceiveToEndAsync());
        await accepted.SendAllAsync("response after the request's end"u8.ToArray());
        accepted.Shutdown(SocketShutdown.Send);

        Assert.Equal("response after the request's end"u8.ToArray(), await client.ReceiveToEndAsync());
        var closed = await recorder.NextClosedAsync();
        Assert.Equal(ResponseFlags.None, closed.ResponseFlags);
        Assert.Equal(7, closed.BytesReceived);
        Assert.Equal(32, closed.BytesSent);
    }

    [Theory]
    [MemberData(nameof(Interfaces))]
    public async Task Reset_UpstreamResets_ClientSeesReset(string eventInterface)
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), Options(eventInterface));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await accepted.ReceiveExactlyAsync(4));

        accepted.Reset();

        var result = await client.ReceiveUntilClosedAsync();
        Assert.Empty(result.Data);
        Assert.Equal(SocketError.ConnectionReset, result.Error);
    }

    [Theory]
    [MemberData(nameof(Interfaces))]
    public async Task NoHealthyUpstream_ClosedInTheTurnItWasAccepted_ClientSeesFin(string eventInterface)
    {
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([]), Options(eventInterface));
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();

        Assert.Empty(result.Data);
        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN");
        Assert.Equal(ResponseFlags.NoHealthyUpstream, (await recorder.NextClosedAsync()).ResponseFlags);
    }

    [Theory]
    [MemberData(nameof(Interfaces))]
    public async Task Transfer_32MiBEachWay_HashesMatch(string eventInterface)
    {
        const long size = 32L * 1024 * 1024;
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), Options(eventInterface));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        var clientSend = Task.Run(() => BulkData.SendAsync(client, size, seed: 1));
        var clientReceive = Task.Run(() => BulkData.ReceiveAsync(client));
        var upstreamSend = Task.Run(() => BulkData.SendAsync(accepted, size, seed: 2));
        var upstreamReceive = Task.Run(() => BulkData.ReceiveAsync(accepted));
        await Task.WhenAll(clientSend, clientReceive, upstreamSend, upstreamReceive).TimeoutAfter(TimeSpan.FromSeconds(60));

        Assert.Equal(size, (await upstreamReceive).Length);
        Assert.Equal(await clientSend, (await upstreamReceive).Hash);
        Assert.Equal(size, (await clientReceive).Length);
        Assert.Equal(await upstreamSend, (await clientReceive).Hash);
    }

    [Theory]
    [MemberData(nameof(Interfaces))]
    public async Task Stop_ListenerSocketsLetGo_PortRefusesAfterwards(string eventInterface)
    {
        await using var upstream = new RawTcpServer();
        var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), Options(eventInterface) with { DrainTime = TimeSpan.Zero });
        var endPoint = System.Net.IPEndPoint.Parse("127.0.0.1:0");
        try
        {
            await server.StartAsync();
            endPoint = server.GetListenerEndPoint("l");
            using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
            var accepted = await upstream.AcceptAsync();
            await client.SendAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await accepted.ReceiveExactlyAsync(4));
        }
        finally
        {
            await server.DisposeAsync();
        }

        // No poll of a reactor still holds a listening socket: nothing listens on the port any more.
        using var late = new Socket(SocketType.Stream, ProtocolType.Tcp);
        var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(endPoint).DefaultTimeout());
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
    }

    private static KubegateServerOptions Options(string eventInterface) => new()
    {
        EventInterface = eventInterface == "epoll" ? EventInterface.Epoll : EventInterface.Auto,
    };

    private static string Expected(string eventInterface)
    {
        if (eventInterface == "epoll")
        {
            return "epoll";
        }

        using var probe = UringPort.TryCreate(out _);
        return probe is null ? "epoll" : "io_uring";
    }
}
