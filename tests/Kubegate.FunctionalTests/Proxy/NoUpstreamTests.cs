using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kubegate.AccessLog;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;

namespace Kubegate.FunctionalTests.Proxy;

public class NoUpstreamTests
{
    [Fact]
    public async Task Connect_ClusterNotInSnapshot_ClosedAtOnceWithNc()
    {
        await using var echo = new TcpEchoServer();
        var recorder = new ConnectionRecorder();
        var snapshot = TestConfig.Snapshot([TestConfig.Listener("l", "missing")], [TestConfig.Cluster("c")], [TestConfig.Assignment("c", echo.EndPoint)]);
        await using var server = recorder.CreateServer(snapshot);
        await server.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();
        var elapsed = stopwatch.Elapsed;
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN (it sent nothing, so closing its socket sends FIN)");
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"closed after {elapsed}");
        Assert.Equal(1, server.Stats.GetValue("tcp.l.downstream_cx_no_route"));
        Assert.Equal(1, server.Stats.GetValue("tcp.l.downstream_cx_total"));
        Assert.Equal(ResponseFlags.NoClusterFound, closed.ResponseFlags);
        Assert.Null(closed.UpstreamHost);
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(0, echo.Accepted);
    }

    [Fact]
    public async Task Connect_ClusterWithoutEndpoints_ClosedAtOnceWithUh()
    {
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([]));
        await server.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();
        var elapsed = stopwatch.Elapsed;
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN (it sent nothing, so closing its socket sends FIN)");
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"closed after {elapsed}");
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_none_healthy"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(0, server.Stats.GetValue("tcp.l.downstream_cx_no_route"));
        Assert.Equal(ResponseFlags.NoHealthyUpstream, closed.ResponseFlags);
        Assert.Null(closed.UpstreamHost);
    }

    [Fact]
    public async Task Connect_AllEndpointsEdsUnhealthyPanicDisabled_ClosedWithUh()
    {
        await using var echo = new TcpEchoServer();
        var recorder = new ConnectionRecorder();
        var assignment = UnhealthyAssignment("c", echo.EndPoint);
        var snapshot = TestConfig.Snapshot([TestConfig.Listener("l", "c")], [TestConfig.Cluster("c", c => c with { HealthyPanicThreshold = 0 })], [assignment]);
        await using var server = recorder.CreateServer(snapshot);
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.Equal(ResponseFlags.NoHealthyUpstream, closed.ResponseFlags);
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_none_healthy"));
        Assert.Equal(0, echo.Accepted);
    }

    [Fact]
    public async Task Connect_AllEndpointsEdsUnhealthyDefaultPanic_StillProxied()
    {
        await using var echo = new TcpEchoServer();
        var assignment = UnhealthyAssignment("c", echo.EndPoint);
        var snapshot = TestConfig.Snapshot([TestConfig.Listener("l", "c")], [TestConfig.Cluster("c")], [assignment]);
        await using var server = new KubegateServer(snapshot);
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        await client.SendAllAsync("panic"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);

        // Envoy's panic mode (spec 3.5): with every host unhealthy, traffic goes to all of them rather than UH.
        Assert.Equal("panic"u8.ToArray(), await client.ReceiveToEndAsync());
        Assert.Equal(1, server.Stats.GetValue("cluster.c.lb_healthy_panic"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_none_healthy"));
    }

    [Fact]
    public async Task Connect_MaxConnectionsReached_ClosedWithUo()
    {
        await using var echo = new TcpEchoServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([echo.EndPoint], cluster: c => c with { MaxConnections = 2 }));
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        using var first = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        using var second = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        foreach (var open in new[] { first, second })
        {
            await open.SendAllAsync("x"u8.ToArray());
            Assert.Equal("x"u8.ToArray(), await open.ReceiveExactlyAsync(1));
        }

        using var third = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        var result = await third.ReceiveUntilClosedAsync();
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.Equal(ResponseFlags.UpstreamOverflow, closed.ResponseFlags);
        Assert.Null(closed.UpstreamHost);
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_overflow"));
        Assert.Equal(2, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(2, echo.Accepted);
    }

    private static ClusterLoadAssignmentConfig UnhealthyAssignment(string cluster, IPEndPoint endPoint)
    {
        var assignment = TestConfig.Assignment(cluster, endPoint);
        return assignment with { Endpoints = [.. assignment.Endpoints.Select(e => e with { HealthStatus = EndpointHealthStatus.Unhealthy })] };
    }
}
