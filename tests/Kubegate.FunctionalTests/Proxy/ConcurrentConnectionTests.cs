using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Proxy;

[Collection(HeavyTestCollection.Name)]
public class ConcurrentConnectionTests(ITestOutputHelper output)
{
    private const int Clients = 500;
    private const int PayloadSize = 16 * 1024;

    [Fact]
    public async Task Proxy_500ConcurrentEchoClients_AllSucceed()
    {
        await using var echo = new TcpEchoServer();
        var pool = new CountingArrayPool();
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint]), new KubegateServerOptions { BufferPool = pool });
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Every client waits on one signal, so all 500 connect at the same moment.
        var clients = Enumerable.Range(0, Clients).Select(i => RunClientAsync(endPoint, i, go.Task)).ToArray();
        go.SetResult();
        var failures = (await Task.WhenAll(clients).TimeoutAfter(TimeSpan.FromSeconds(60))).Where(f => f is not null).ToArray();

        Assert.True(failures.Length == 0, $"{failures.Length} of {Clients} clients failed, e.g. {string.Join("; ", failures.Take(5))}");
        Assert.Equal(Clients, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_total"));
        Assert.Equal(Clients, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(Clients, echo.Accepted);
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_active", 0);
        Assert.Equal(Clients, server.Stats.GetValue("listener.127.0.0.1_0.downstream_cx_destroy"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
        Assert.Equal((long)Clients * PayloadSize, server.Stats.GetValue("cluster.c.upstream_cx_tx_bytes_total"));
        Assert.Equal(0, pool.Outstanding);
        output.WriteLine($"{pool.TotalRented} buffers rented");
    }

    private static async Task<string?> RunClientAsync(IPEndPoint endPoint, int index, Task go)
    {
        await go;
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint);
            var payload = new byte[PayloadSize];
            new Random(index).NextBytes(payload);
            var receive = socket.ReceiveToEndAsync(limit: PayloadSize);
            await socket.SendAllAsync(payload);
            socket.Shutdown(SocketShutdown.Send);
            var echoed = await receive;
            return echoed.AsSpan().SequenceEqual(payload) ? null : $"client {index}: {echoed.Length} bytes back, content differs";
        }
        catch (Exception ex)
        {
            return $"client {index}: {ex.GetType().Name}: {ex.Message}";
        }
    }
}
