using System.Net.Sockets;
using System.Text;
using Kubegate.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;

namespace Kubegate.FunctionalTests.Proxy;

public class HalfCloseTests
{
    [Fact]
    public async Task HalfClose_ClientShutsDownSendFirst_UpstreamSeesEofAndCanStillReply()
    {
        await using var upstream = new RawTcpServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        await client.SendAllAsync(Bytes("request body"));
        client.Shutdown(SocketShutdown.Send);

        // The upstream gets every byte, then EOF, while its own direction is still open.
        Assert.Equal("request body", Text(await accepted.ReceiveToEndAsync()));
        await accepted.SendAllAsync(Bytes("response sent after the request's EOF"));
        await accepted.SendAllAsync(Bytes(" and more"));
        accepted.Shutdown(SocketShutdown.Send);

        Assert.Equal("response sent after the request's EOF and more", Text(await client.ReceiveToEndAsync()));
        var closed = await recorder.NextClosedAsync();
        Assert.Equal(ResponseFlags.None, closed.ResponseFlags);
        Assert.Equal(12, closed.BytesReceived);
        Assert.Equal(46, closed.BytesSent);
    }

    [Fact]
    public async Task HalfClose_UpstreamShutsDownSendFirst_ClientSeesEofAndCanStillSend()
    {
        await using var upstream = new RawTcpServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        await accepted.SendAllAsync(Bytes("server hello"));
        accepted.Shutdown(SocketShutdown.Send);

        Assert.Equal("server hello", Text(await client.ReceiveToEndAsync()));
        await client.SendAllAsync(Bytes("client data after the upstream's EOF"));
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("client data after the upstream's EOF", Text(await accepted.ReceiveToEndAsync()));
        var closed = await recorder.NextClosedAsync();
        Assert.Equal(ResponseFlags.None, closed.ResponseFlags);
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_destroy_remote"));
    }

    [Fact]
    public async Task HalfClose_ManyExchangesBeforeClientEof_EveryByteInOrder()
    {
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]));
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        for (var i = 0; i < 20; i++)
        {
            var question = Bytes($"question {i:D2}");
            await client.SendAllAsync(question);
            Assert.Equal(question, await accepted.ReceiveExactlyAsync(question.Length));
            var answer = Bytes($"answer {i:D2}");
            await accepted.SendAllAsync(answer);
            Assert.Equal(answer, await client.ReceiveExactlyAsync(answer.Length));
        }

        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await accepted.ReceiveToEndAsync());
        await accepted.SendAllAsync(Bytes("bye"));
        accepted.Shutdown(SocketShutdown.Send);
        Assert.Equal("bye", Text(await client.ReceiveToEndAsync()));
    }

    private static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);

    private static string Text(byte[] bytes) => Encoding.ASCII.GetString(bytes);
}
