using Kubegate.Testing;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Kubegate.Clusters;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Health;
using TestHttpClient = Kubegate.Testing.TestHttpClient;
using ReadyzMode = Kubegate.Testing.ReadyzMode;

namespace Kubegate.FunctionalTests.Health;

/// <summary>Traffic through the proxy while apiservers fail: retries, health checks, panic and closing connections.</summary>
public class FailoverTests
{
    [Fact]
    public async Task OneOfTwoStopped_RepeatedConnectionsThroughProxy_AllSucceed()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);
        var proxy = new Uri($"https://{bed.ListenerEndPoint}/");

        for (var i = 0; i < 20; i++)
        {
            if (i == 5)
            {
                await bed.ApiServers[0].AbortAsync();
            }

            // A new client per request: every request is a new proxied connection, so each one picks a host.
            using var client = TestHttpClient.Create(bed.Ca.Certificate, version: HttpVersion.Version11);
            using var response = await client.GetAsync(new Uri(proxy, "/version"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await bed.WaitForAsync(() => bed.Host(0).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
        Assert.Equal([bed.Host(1)], bed.Cluster.AvailableHosts.Hosts);
        Assert.Equal(0, bed.Server.Stats.GetValue("cluster.c.upstream_cx_connect_attempts_exceeded"));
    }

    [Fact]
    public async Task BothReadyzFailing_Panic_TrafficStillReachesThem()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);
        bed.ApiServers[0].ReadyzMode = ReadyzMode.Fail500;
        bed.ApiServers[1].ReadyzMode = ReadyzMode.Fail500;
        await bed.WaitForAsync(() => bed.Cluster.AllHosts.Hosts.All(h => h.HealthFlags.HasFlag(HealthFlags.FailedActiveHc)));

        using var client = TestHttpClient.Create(bed.Ca.Certificate, version: HttpVersion.Version11);
        using var response = await client.GetAsync(new Uri($"https://{bed.ListenerEndPoint}/version"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(bed.Cluster.InPanic);
        Assert.Equal(2, bed.Cluster.AvailableHosts.Count);
        Assert.Equal(1, bed.Server.Stats.GetValue("cluster.c.lb_healthy_panic"));
        Assert.Equal(0, bed.Server.Stats.GetValue("cluster.c.membership_healthy"));
        Assert.Equal(0, bed.Server.Stats.GetValue("cluster.c.upstream_cx_none_healthy"));
    }

    [Fact]
    public async Task BothReadyzFailing_PanicDisabled_NoHealthyUpstream()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2, cluster: c => c with { HealthyPanicThreshold = 0 });
        bed.ApiServers[0].ReadyzMode = ReadyzMode.Fail500;
        bed.ApiServers[1].ReadyzMode = ReadyzMode.Fail500;
        await bed.WaitForAsync(() => bed.Cluster.AllHosts.Hosts.All(h => h.HealthFlags.HasFlag(HealthFlags.FailedActiveHc)));

        using var socket = await SocketTestExtensions.ConnectTcpAsync(bed.ListenerEndPoint);
        var result = await socket.ReceiveUntilClosedAsync();

        Assert.Empty(result.Data);
        Assert.Equal(1, bed.Server.Stats.GetValue("cluster.c.upstream_cx_none_healthy"));
    }

    [Fact]
    public async Task CloseConnectionsOnHostHealthFailure_LongLivedConnectionToFailingHost_Closed()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2, cluster: c => c with { CloseConnectionsOnHostHealthFailure = true });
        using var socket = await SocketTestExtensions.ConnectTcpAsync(bed.ListenerEndPoint);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "kubernetes.default",
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
        }).DefaultTimeout();
        var connection = bed.Server.Connections.Connections.Single();
        var index = connection.UpstreamHost!.EndPoint.Equals(bed.ApiServers[0].EndPoint) ? 0 : 1;
        var other = bed.Host(1 - index);

        bed.ApiServers[index].ReadyzMode = ReadyzMode.Fail500;
        var end = await ReadUntilClosedAsync(tls).DefaultTimeout();

        // The health failure closed it, not the apiserver (which keeps serving its open connections while /readyz
        // fails) and not the client: kubegate ended both sides (destroy_local, none remote) with FIN, after the flag.
        Assert.Equal(StreamEnd.Fin, end);
        Assert.True(bed.Host(index).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
        Assert.Equal(HealthFlags.None, other.HealthFlags);
        await Wait.UntilAsync(() => bed.Server.Connections.Count == 0);
        Assert.Equal(1, bed.Server.Stats.GetValue("cluster.c.upstream_cx_destroy_local"));
        Assert.Equal(0, bed.Server.Stats.GetValue("cluster.c.upstream_cx_destroy_remote"));
    }

    [Fact]
    public async Task ConsecutiveFailedConnects_DeadHostEjected_LaterConnectionsGoStraightToTheLiveOne()
    {
        var dead = DeadEndPoint.Create();
        await using var echo = new TcpEchoServer();
        var snapshot = TestConfig.Simple(
            [dead, echo.EndPoint],
            p => p with { MaxConnectAttempts = 2 },
            c => c with { OutlierDetection = new Kubegate.Configuration.OutlierDetectionConfig { Consecutive5xx = 2, AlwaysEjectOneHost = true } });
        await using var server = new Kubegate.Hosting.KubegateServer(snapshot);
        await server.StartAsync();
        Assert.True(server.Clusters.TryGet("c", out var cluster));
        var deadHost = cluster.AllHosts.Hosts.Single(h => h.EndPoint.Equals(dead));

        for (var i = 0; i < 6 && !deadHost.HealthFlags.HasFlag(HealthFlags.FailedOutlierCheck); i++)
        {
            using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
            await client.SendAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        }

        Assert.Equal(HealthFlags.FailedOutlierCheck, deadHost.HealthFlags);
        Assert.Equal(1, server.Stats.GetValue("cluster.c.outlier_detection.ejections_enforced_consecutive_5xx"));
        var failsBefore = deadHost.CxConnectFail;
        for (var i = 0; i < 4; i++)
        {
            using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
            await client.SendAllAsync("pong"u8.ToArray());
            Assert.Equal("pong"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        }

        Assert.Equal(failsBefore, deadHost.CxConnectFail);
    }

    /// <summary>Reads until the stream ends: FIN (a read of 0) or reset (an IOException).</summary>
    private static async Task<StreamEnd> ReadUntilClosedAsync(SslStream stream)
    {
        var buffer = new byte[256];
        try
        {
            while (await stream.ReadAsync(buffer) > 0)
            {
            }

            return StreamEnd.Fin;
        }
        catch (IOException)
        {
            return StreamEnd.Reset;
        }
    }

    private enum StreamEnd
    {
        Fin,
        Reset,
    }
}
