using System.Diagnostics;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Proxy;

[Collection(HeavyTestCollection.Name)]
public class LargeTransferTests(ITestOutputHelper output)
{
    private const long Size = 256L * 1024 * 1024;

    [Fact]
    public async Task Transfer_256MiBEachWayConcurrently_HashesAndByteStatsMatch()
    {
        await using var upstream = new RawTcpServer();
        var pool = new CountingArrayPool();
        await using var server = new KubegateServer(TestConfig.Simple([upstream.EndPoint]), new KubegateServerOptions { BufferPool = pool });
        await server.StartAsync();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var accepted = await upstream.AcceptAsync();
        var stopwatch = Stopwatch.StartNew();

        // Four loops at once: both ends send their own stream while reading the other's.
        var clientSend = Task.Run(() => BulkData.SendAsync(client, Size, seed: 1));
        var clientReceive = Task.Run(() => BulkData.ReceiveAsync(client));
        var upstreamSend = Task.Run(() => BulkData.SendAsync(accepted, Size, seed: 2));
        var upstreamReceive = Task.Run(() => BulkData.ReceiveAsync(accepted));
        await Task.WhenAll(clientSend, clientReceive, upstreamSend, upstreamReceive).TimeoutAfter(TimeSpan.FromSeconds(120));
        output.WriteLine($"2 × 256 MiB in {stopwatch.Elapsed.TotalSeconds:F1} s");

        Assert.Equal(Size, (await upstreamReceive).Length);
        Assert.Equal(await clientSend, (await upstreamReceive).Hash);
        Assert.Equal(Size, (await clientReceive).Length);
        Assert.Equal(await upstreamSend, (await clientReceive).Hash);

        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_destroy", 1);
        Assert.Equal(Size, server.Stats.GetValue("cluster.c.upstream_cx_tx_bytes_total"));
        Assert.Equal(Size, server.Stats.GetValue("cluster.c.upstream_cx_rx_bytes_total"));
        Assert.Equal(Size, server.Stats.GetValue("tcp.l.downstream_cx_rx_bytes_total"));
        Assert.Equal(Size, server.Stats.GetValue("tcp.l.downstream_cx_tx_bytes_total"));
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, pool.BadReturns);
    }
}
