using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy.Splice;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Proxy;

/// <summary>The reactors under bad conditions: a connect storm, and a client that never reads a streaming upstream.</summary>
[Collection(HeavyTestCollection.Name)]
public class ReactorConditionsTests
{
    [Fact]
    public async Task ConnectBurst_TenThousandConnects_EveryOneRelayedAndNothingLeaks()
    {
        const int Total = 10_000;
        const int InFlight = 200;
        await using var echo = new TcpEchoServer();
        var buffers = new CountingArrayPool();
        await using var server = new KubegateServer(
            TestConfig.Simple([echo.EndPoint], cluster: c => c with { MaxConnections = Total }),
            new KubegateServerOptions { BufferPool = buffers, PipePool = new PipePool(enabled: false) });
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        var next = 0;
        var failures = 0;

        async Task WorkerAsync()
        {
            while (Interlocked.Increment(ref next) <= Total)
            {
                try
                {
                    using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
                    await client.SendAllAsync("x"u8.ToArray());
                    Assert.Equal("x"u8.ToArray(), await client.ReceiveExactlyAsync(1));
                    client.Shutdown(SocketShutdown.Send);
                    Assert.Empty(await client.ReceiveToEndAsync());
                }
                catch (Exception ex) when (ex is SocketException or Xunit.Sdk.XunitException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, InFlight).Select(_ => Task.Run(WorkerAsync))).TimeoutAfter(TimeSpan.FromSeconds(240));

        Assert.Equal(0, failures);
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", Total);
        Assert.Equal(Total, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_total"));
        Assert.Equal(0, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_active"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(0, server.Connections.Count);
        Assert.Equal(0, buffers.Outstanding);
        Assert.Equal(0, server.Stats.GetValue("server.reactor_errors"));
    }

    [SpliceTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NeverReadingClient_UpstreamStreams_ProxyHoldsAtMostOnePipeOrBufferThenDeliversIntact(bool splice)
    {
        // The bound: per direction one 256 KiB pipe (or one 64 KiB buffer) in the proxy, plus what the kernel's
        // socket buffers on both sides take (net.ipv4.tcp_rmem/tcp_wmem maxima, a few MiB each).
        const long StreamSize = 256L * 1024 * 1024;
        var pipes = new PipePool(enabled: splice);
        var buffers = new CountingArrayPool();
        await using var upstream = new RawTcpServer();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { BufferPool = buffers, PipePool = pipes });
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        using var accepted = await upstream.AcceptAsync();

        var send = Task.Run(() => BulkData.SendAsync(accepted, StreamSize, seed: 11));

        // Wait until the relay is stalled by the client: the bytes relayed stop growing over several stat reads while
        // the upstream still has most of the stream to send.
        long relayed = -1;
        var unchanged = 0;
        await Wait.UntilAsync(() =>
        {
            var now = server.Stats.GetValue("cluster.c.upstream_cx_rx_bytes_total");
            unchanged = now > 0 && now == relayed ? unchanged + 1 : 0;
            relayed = now;
            return unchanged >= 5;
        });

        Assert.False(send.IsCompleted, "the upstream sent the whole stream into a client that never reads");
        Assert.True(relayed < 64L * 1024 * 1024, $"{relayed} bytes relayed into a client that never reads");
        Assert.True(pipes.Rented + buffers.Outstanding <= 1, $"{pipes.Rented} pipes and {buffers.Outstanding} buffers held by one stalled direction");

        var received = await BulkData.ReceiveAsync(client).TimeoutAfter(TimeSpan.FromSeconds(120));
        Assert.Equal(StreamSize, received.Length);
        Assert.Equal(await send.DefaultTimeout(), received.Hash);
        client.Shutdown(SocketShutdown.Send);
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 1);
        Assert.Equal(0, pipes.Rented);
        Assert.Equal(0, buffers.Outstanding);
    }
}
