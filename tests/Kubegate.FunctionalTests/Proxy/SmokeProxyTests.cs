using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Proxy;

public class SmokeProxyTests
{
    [Fact]
    public async Task Echo_ThroughProxy_RoundTrips()
    {
        await using var echo = new TcpEchoServer();
        await using var server = new KubegateServer(TestConfig.Simple([echo.EndPoint]));
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes("hello"));
        client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[100];
        var total = 0;
        while (true)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(total));
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, total));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(5, server.Stats.GetValue("cluster.c.upstream_cx_tx_bytes_total"));
    }
}
