using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;
using Kubegate.Proxy.Splice;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Proxy;

/// <summary>
/// The splice(2) relay (Linux): a direction that streams (a read fills a whole buffer) goes socket → pooled pipe →
/// socket; messages go through a pooled buffer. Each test brings its own pipe pool and a counting buffer pool, so it
/// can prove which path carried the bytes and that nothing is held afterwards.
/// </summary>
[Collection(HeavyTestCollection.Name)]
public class SpliceTests
{
    private const long SlowTransferSize = 32L * 1024 * 1024;

    [SpliceTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Splice_SlowReaderBackpressure_ArrivesIntactAndPoolsDrained(bool toUpstream)
    {
        var pipes = new PipePool();
        var buffers = new CountingArrayPool();
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        var (sender, reader) = toUpstream ? (client, accepted) : (accepted, client);

        // The reader does not read until the relay has hit a full destination at least once, so the
        // pipe-to-buffer hand-over under backpressure is exercised for certain, then it reads in small pieces.
        var send = Task.Run(() => BulkData.SendAsync(sender, SlowTransferSize, seed: 7));
        await Wait.UntilAsync(() => pipes.Spills > 0);
        var received = await SlowReceiveAsync(reader).TimeoutAfter(TimeSpan.FromSeconds(120));

        Assert.Equal(SlowTransferSize, received.Length);
        Assert.Equal(await send.DefaultTimeout(), received.Hash);
        reader.Shutdown(SocketShutdown.Send);
        Assert.Empty(await sender.ReceiveToEndAsync());

        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 1);
        Assert.Equal(SlowTransferSize, server.Stats.GetValue(toUpstream ? "cluster.c.upstream_cx_tx_bytes_total" : "cluster.c.upstream_cx_rx_bytes_total"));
        Assert.Equal(SlowTransferSize, server.Stats.GetValue(toUpstream ? "tcp.l.downstream_cx_rx_bytes_total" : "tcp.l.downstream_cx_tx_bytes_total"));
        Assert.Equal(0, pipes.Rented);
        Assert.Equal(0, pipes.BadReturns);
        Assert.Equal(0, buffers.Outstanding);
        Assert.Equal(0, buffers.BadReturns);
    }

    [SpliceFact]
    public async Task Messages_IdleConnectionsAfterExchanges_CopiedAndHoldNoPipeAndNoBuffer()
    {
        const int Connections = 40;
        var pipes = new PipePool();
        var buffers = new CountingArrayPool();
        await using var echo = new TcpEchoServer();
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
                clients.Add(client);
                var message = Encoding.ASCII.GetBytes($"message {i}");
                await client.SendAllAsync(message);
                Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length));
            }

            await Wait.UntilAsync(() => buffers.Outstanding == 0);

            // Messages are copied (cheaper than splicing them), and the buffers went back to the pool.
            Assert.True(buffers.TotalRented >= 2 * Connections, $"only {buffers.TotalRented} buffer rentals");
            Assert.Equal(0, pipes.TotalRented);
            Assert.Equal(Connections, server.Connections.Count);

            foreach (var client in clients)
            {
                await client.SendAllAsync("again"u8.ToArray());
                Assert.Equal("again"u8.ToArray(), await client.ReceiveExactlyAsync(5));
            }

            await Wait.UntilAsync(() => buffers.Outstanding == 0);
            Assert.Equal(0, pipes.TotalRented);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Wait.UntilAsync(() => server.Connections.Count == 0);
        Assert.Equal(0, buffers.BadReturns);
    }

    [SpliceFact]
    public async Task Splice_StreamsOnManyConnections_PipesReusedAndNoneHeldWhenIdle()
    {
        const int Connections = 20;
        var pipes = new PipePool();
        var buffers = new CountingArrayPool();
        await using var echo = new TcpEchoServer();
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
                clients.Add(client);

                // Far more than a buffer's worth in one go: the relay sees a full read and splices the rest.
                var data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
                var receive = client.ReceiveExactlyAsync(data.Length);
                await client.SendAllAsync(data);
                Assert.Equal(data, await receive);
            }

            await Wait.UntilAsync(() => pipes.Rented == 0 && buffers.Outstanding == 0);
            Assert.True(pipes.TotalRented >= 2 * Connections, $"only {pipes.TotalRented} pipe rentals");
            Assert.True(pipes.Created < pipes.TotalRented / 4, $"{pipes.Created} pipes made for {pipes.TotalRented} rentals");
            Assert.Equal(pipes.Created, pipes.Pooled);
            Assert.Equal(Connections, server.Connections.Count);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Wait.UntilAsync(() => server.Connections.Count == 0);
        Assert.Equal(0, pipes.Rented);
        Assert.Equal(0, pipes.BadReturns);
        Assert.Equal(0, buffers.BadReturns);
    }

    [Fact]
    public async Task Splice_SwitchedOff_LargeTransferBothWaysCopiesThroughBuffers()
    {
        const long Size = 32L * 1024 * 1024;
        var pipes = new PipePool(enabled: false);
        var buffers = new CountingArrayPool();
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();

        var clientSend = Task.Run(() => BulkData.SendAsync(client, Size, seed: 3));
        var clientReceive = Task.Run(() => BulkData.ReceiveAsync(client));
        var upstreamSend = Task.Run(() => BulkData.SendAsync(accepted, Size, seed: 4));
        var upstreamReceive = Task.Run(() => BulkData.ReceiveAsync(accepted));
        await Task.WhenAll(clientSend, clientReceive, upstreamSend, upstreamReceive).TimeoutAfter(TimeSpan.FromSeconds(120));

        Assert.Equal(Size, (await upstreamReceive).Length);
        Assert.Equal(await clientSend, (await upstreamReceive).Hash);
        Assert.Equal(Size, (await clientReceive).Length);
        Assert.Equal(await upstreamSend, (await clientReceive).Hash);
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 1);
        Assert.Equal(Size, server.Stats.GetValue("tcp.l.downstream_cx_rx_bytes_total"));
        Assert.Equal(Size, server.Stats.GetValue("tcp.l.downstream_cx_tx_bytes_total"));
        Assert.Equal(0, pipes.TotalRented);
        Assert.True(buffers.TotalRented > 0);
        Assert.Equal(0, buffers.Outstanding);
    }

    [SpliceTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Splice_HalfCloseEachWay_FinAfterTheDataAndTheOtherWayStillOpen(bool clientClosesFirst)
    {
        var pipes = new PipePool();
        var buffers = new CountingArrayPool();
        await using var upstream = new RawTcpServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        var (first, firstPeer) = clientClosesFirst ? (client, accepted) : (accepted, client);

        var before = RandomNumberGenerator.GetBytes(300_000);
        await first.SendAllAsync(before);
        first.Shutdown(SocketShutdown.Send);
        Assert.Equal(before, await firstPeer.ReceiveToEndAsync());

        // The other direction still relays after the FIN, then ends with its own.
        var after = RandomNumberGenerator.GetBytes(200_000);
        await firstPeer.SendAllAsync(after);
        firstPeer.Shutdown(SocketShutdown.Send);
        Assert.Equal(after, await first.ReceiveToEndAsync());

        var closed = await recorder.NextClosedAsync();
        Assert.Equal(ResponseFlags.None, closed.ResponseFlags);
        Assert.Equal(clientClosesFirst ? before.Length : after.Length, closed.BytesReceived);
        Assert.Equal(clientClosesFirst ? after.Length : before.Length, closed.BytesSent);
        Assert.True(pipes.TotalRented > 0);
        Assert.Equal(0, pipes.Rented);
        Assert.Equal(0, buffers.Outstanding);
    }

    [SpliceTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Splice_PeerResetsAfterData_OtherPeerSeesResetAndNoPipeIsKept(bool upstreamResets)
    {
        var pipes = new PipePool();
        var buffers = new CountingArrayPool();
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        var (resetting, other) = upstreamResets ? (accepted, client) : (client, accepted);

        // A stream, not a message: 4 MiB arrive faster than the relay forwards them, so its reads fill whole buffers
        // and it splices.
        var data = RandomNumberGenerator.GetBytes(4 * 1024 * 1024);
        var receive = other.ReceiveExactlyAsync(data.Length);
        await resetting.SendAllAsync(data);
        Assert.Equal(data, await receive);
        resetting.Reset();

        var result = await other.ReceiveUntilClosedAsync();
        Assert.Empty(result.Data);
        Assert.Equal(SocketError.ConnectionReset, result.Error);
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 1);
        Assert.True(pipes.TotalRented > 0);
        Assert.Equal(0, pipes.Rented);
        Assert.Equal(0, buffers.Outstanding);
        other.Dispose();
    }

    private static async Task<(long Length, byte[] Hash)> SlowReceiveAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[4096];
        long length = 0;
        while (length < SlowTransferSize)
        {
            var n = await socket.ReceiveAsync(buffer);
            if (n == 0)
            {
                break;
            }

            hash.AppendData(buffer, 0, n);
            length += n;
        }

        return (length, hash.GetHashAndReset());
    }
}
