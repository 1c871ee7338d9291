using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Proxy;

public class Ipv6Tests
{
    [Ipv6LoopbackFact]
    public async Task Proxy_Ipv6LoopbackListenerAndUpstream_RoundTrips()
    {
        await using var upstream = new RawTcpServer(IPAddress.IPv6Loopback);
        var listener = new ListenerConfig
        {
            Name = "l6",
            Address = new SocketAddressConfig(IPAddress.IPv6Loopback, 0),
            TcpProxy = new TcpProxyConfig { StatPrefix = "l6", Cluster = "c6" },
        };
        var snapshot = TestConfig.Snapshot([listener], [TestConfig.Cluster("c6")], [TestConfig.Assignment("c6", upstream.EndPoint)]);
        await using var server = new KubegateServer(snapshot);
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l6");
        Assert.Equal(IPAddress.IPv6Loopback, endPoint.Address);

        using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        var accepted = await upstream.AcceptAsync();
        await client.SendAllAsync("over ::1"u8.ToArray());
        Assert.Equal("over ::1"u8.ToArray(), await accepted.ReceiveExactlyAsync(8));
        await accepted.SendAllAsync("back"u8.ToArray());
        accepted.Shutdown(SocketShutdown.Send);
        client.Shutdown(SocketShutdown.Send);

        Assert.Equal("back"u8.ToArray(), await client.ReceiveToEndAsync());
        Assert.Equal(IPAddress.IPv6Loopback, ((IPEndPoint)accepted.RemoteEndPoint!).Address);
        Assert.Equal(1, server.Stats.GetValue("listener.[__1]_0.downstream_cx_total"));
        Assert.Equal(1, server.Stats.GetValue("cluster.c6.upstream_cx_total"));
    }
}
