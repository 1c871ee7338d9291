using System.Net.Sockets;
using System.Text;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy.Splice;

namespace Kubegate.FunctionalTests.Proxy;

public class BufferPoolTests
{
    private const int Connections = 50;

    // Splicing off: this is about the buffer path (SpliceTests covers pipes).
    [Fact]
    public async Task IdleConnections_AfterOneExchangeEach_HoldNoBuffer()
    {
        var pool = new CountingArrayPool();
        await using var echo = new TcpEchoServer();
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint]), new KubegateServerOptions { BufferPool = pool, PipePool = new PipePool(enabled: false) });
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

            // Each exchange rented a buffer per direction; once the sockets are drained every one must be back.
            await Wait.UntilAsync(() => pool.Outstanding == 0);

            Assert.True(pool.TotalRented >= 2 * Connections, $"only {pool.TotalRented} rentals");
            Assert.Equal(0, pool.BadReturns);
            Assert.Equal(Connections, server.Connections.Count);
            Assert.Equal(Connections, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_active"));
            Assert.Equal(Connections, server.Stats.GetValue("cluster.c.upstream_cx_active"));

            // Idle but alive: each connection still relays.
            foreach (var client in clients)
            {
                await client.SendAllAsync("again"u8.ToArray());
                Assert.Equal("again"u8.ToArray(), await client.ReceiveExactlyAsync(5));
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }

        await Wait.UntilAsync(() => server.Connections.Count == 0);
        Assert.Equal(0, pool.Outstanding);
        Assert.Equal(0, pool.BadReturns);
    }
}
