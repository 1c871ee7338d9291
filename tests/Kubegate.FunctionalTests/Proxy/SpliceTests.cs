using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Kubegate.AccessLog;
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

        // The reader does not read until the relay has hit a full destination, then it reads in small pieces. Which
        // path meets the full destination depends on how the first reads filled (a short first read keeps the
        // direction on copies): on the splice path the bytes wait in the pipe (a spill), on the copy path in the
        // buffer the direction read into (still rented). Waiting for only one of them could wait forever.
        var send = Task.Run(() => BulkData.SendAsync(sender, SlowTransferSize, seed: 7));
        await Wait.UntilAsync(() => pipes.Spills > 0 || buffers.Outstanding > 0);
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
        await using var relay = await EchoRelay.StartAsync();
        await relay.OpenAsync(Connections, async (client, i) =>
        {
            var message = Encoding.ASCII.GetBytes($"message {i}");
            await client.SendAllAsync(message);
            Assert.Equal(message, await client.ReceiveExactlyAsync(message.Length));
        });

        await Wait.UntilAsync(() => relay.Buffers.Outstanding == 0);

        // Messages are copied (cheaper than splicing them), and the buffers went back to the pool.
        Assert.True(relay.Buffers.TotalRented >= 2 * Connections, $"only {relay.Buffers.TotalRented} buffer rentals");
        Assert.Equal(0, relay.Pipes.TotalRented);
        Assert.Equal(Connections, relay.Server.Connections.Count);

        foreach (var client in relay.Clients)
        {
            await client.SendAllAsync("again"u8.ToArray());
            Assert.Equal("again"u8.ToArray(), await client.ReceiveExactlyAsync(5));
        }

        await Wait.UntilAsync(() => relay.Buffers.Outstanding == 0);
        Assert.Equal(0, relay.Pipes.TotalRented);

        await relay.CloseClientsAsync();
        Assert.Equal(0, relay.Buffers.BadReturns);
    }

    [SpliceFact]
    public async Task Splice_StreamsOnManyConnections_PipesReusedAndNoneHeldWhenIdle()
    {
        const int Connections = 20;
        await using var relay = await EchoRelay.StartAsync();
        await relay.OpenAsync(Connections, async (client, _) =>
        {
            // Far more than a buffer's worth in one go: the relay sees a full read and splices the rest.
            var data = RandomNumberGenerator.GetBytes(2 * 1024 * 1024);
            var receive = client.ReceiveExactlyAsync(data.Length);
            await client.SendAllAsync(data);
            Assert.Equal(data, await receive);
        });

        await Wait.UntilAsync(() => relay.Pipes.Rented == 0 && relay.Buffers.Outstanding == 0);
        Assert.True(relay.Pipes.TotalRented >= 2 * Connections, $"only {relay.Pipes.TotalRented} pipe rentals");
        Assert.True(relay.Pipes.Created < relay.Pipes.TotalRented / 4, $"{relay.Pipes.Created} pipes made for {relay.Pipes.TotalRented} rentals");
        Assert.Equal(relay.Pipes.Created, relay.Pipes.Pooled);
        Assert.Equal(Connections, relay.Server.Connections.Count);

        await relay.CloseClientsAsync();
        Assert.Equal(0, relay.Pipes.Rented);
        Assert.Equal(0, relay.Pipes.BadReturns);
        Assert.Equal(0, relay.Buffers.BadReturns);
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

    /// <summary>An echo upstream behind a server with the test's own pools, and clients kept open through it.</summary>
    private sealed class EchoRelay : IAsyncDisposable
    {
        private readonly TcpEchoServer _echo = new();

        private EchoRelay()
        {
            Server = new KubegateServer(TestConfig.Simple([_echo.EndPoint]), new KubegateServerOptions { BufferPool = Buffers, PipePool = Pipes });
        }

        public PipePool Pipes { get; } = new();

        public CountingArrayPool Buffers { get; } = new();

        public KubegateServer Server { get; }

        public List<Socket> Clients { get; } = [];

        public static async Task<EchoRelay> StartAsync()
        {
            var relay = new EchoRelay();
            await relay.Server.StartAsync();
            return relay;
        }

        /// <summary>Opens <paramref name="count"/> clients one after the other, each doing its exchange once.</summary>
        public async Task OpenAsync(int count, Func<Socket, int, Task> exchange)
        {
            var endPoint = Server.GetListenerEndPoint("l");
            for (var i = 0; i < count; i++)
            {
                var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
                Clients.Add(client);
                await exchange(client, i);
            }
        }

        /// <summary>Closes every client and waits until the relay has closed their connections.</summary>
        public async Task CloseClientsAsync()
        {
            foreach (var client in Clients)
            {
                client.Dispose();
            }

            Clients.Clear();
            await Wait.UntilAsync(() => Server.Connections.Count == 0);
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var client in Clients)
            {
                client.Dispose();
            }

            await Server.DisposeAsync();
            await _echo.DisposeAsync();
        }
    }
}
