using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Proxy;

public class LeastRequestTests
{
    [Fact]
    public async Task LeastRequest_HostAddedNextToLoadedHost_NewConnectionsGoToIt()
    {
        await using var hostA = new TcpEchoServer();
        await using var hostB = new TcpEchoServer();
        static ClusterConfig LeastRequest(ClusterConfig c) => c with { LbPolicy = LbPolicy.LeastRequest };
        await using var server = new KubegateServer(TestConfig.Simple([hostA.EndPoint], cluster: LeastRequest));
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        var clients = new List<Socket>();
        try
        {
            // Ten long-lived connections pinned to A while it is the only host.
            for (var i = 0; i < 10; i++)
            {
                clients.Add(await ConnectAndExchangeAsync(endPoint));
            }

            Assert.True(server.Clusters.TryGet("c", out var cluster));
            var stateA = Assert.Single(cluster.AllHosts.Hosts);
            Assert.Equal(10, stateA.ActiveRequests);

            // EDS-style update: B joins, A keeps its state (and its ten active connections).
            server.Clusters.Apply(TestConfig.Simple([hostA.EndPoint, hostB.EndPoint], cluster: LeastRequest));
            Assert.Same(stateA, cluster.AllHosts.Hosts[0]);
            Assert.Equal(10, stateA.ActiveRequests);

            for (var i = 0; i < 5; i++)
            {
                clients.Add(await ConnectAndExchangeAsync(endPoint));
            }

            Assert.Equal(10, hostA.Accepted);
            Assert.Equal(5, hostB.Accepted);
            Assert.Equal(5, cluster.AllHosts.Hosts[1].ActiveRequests);
            Assert.Equal(10, stateA.ActiveRequests);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static async Task<Socket> ConnectAndExchangeAsync(IPEndPoint endPoint)
    {
        var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await client.SendAllAsync("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await client.ReceiveExactlyAsync(1));
        return client;
    }
}
