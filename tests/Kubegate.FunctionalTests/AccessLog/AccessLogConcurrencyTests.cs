using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.AccessLog;

[Collection(HeavyTestCollection.Name)]
public sealed class AccessLogConcurrencyTests : IDisposable
{
    private const int Clients = 500;
    private readonly AccessLogFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public async Task FileLog_500ConcurrentConnections_ExactlyOneLineEach()
    {
        await using var echo = new TcpEchoServer();
        var log = AccessLogFixture.FileLog(_fixture.LogPath, "%CONNECTION_ID% %BYTES_RECEIVED% %BYTES_SENT%\n");
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint], tcp => AccessLogFixture.WithLog(tcp, log)));
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var clients = Enumerable.Range(0, Clients).Select(_ => RunClientAsync(endPoint, go.Task)).ToArray();
        go.SetResult();
        await Task.WhenAll(clients).TimeoutAfter(TimeSpan.FromSeconds(30));
        await Wait.ForStatAsync(server.Stats, "listener.127.0.0.1_0.downstream_cx_active", 0);

        await AccessLogFixture.WaitForLinesAsync(_fixture.LogPath, Clients);

        // Stopping writes out and closes the file: what is in it now is everything that will ever be.
        await server.StopAsync().DefaultTimeout();
        var lines = AccessLogFixture.ReadLines(_fixture.LogPath);

        Assert.Equal(Clients, lines.Length);
        Assert.Equal(Clients, lines.Select(l => l.Split(' ')[0]).Distinct().Count());
        Assert.All(lines, l => Assert.EndsWith(" 3 3", l, StringComparison.Ordinal));
        Assert.Equal(0, server.Stats.GetValue("access_log.lines_dropped"));
    }

    private static async Task RunClientAsync(IPEndPoint endPoint, Task go)
    {
        await go;
        using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await client.SendAllAsync("abc"u8.ToArray());
        await client.ReceiveExactlyAsync(3);
        client.Shutdown(SocketShutdown.Send);
        await client.ReceiveUntilClosedAsync();
    }
}
