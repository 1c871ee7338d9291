using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubegate.AccessLog;
using Kubegate.Clusters;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;

namespace Kubegate.FunctionalTests.Proxy;

public class ConnectRetryTests
{
    [Fact]
    public async Task Connect_FirstEndpointDeadTwoAttempts_ReachesLiveEndpoint()
    {
        var dead = DeadEndPoint.Create();
        await using var echo = new TcpEchoServer();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([dead, echo.EndPoint], p => p with { MaxConnectAttempts = 2 }));
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        await client.SendAllAsync("through the retry"u8.ToArray());
        client.Shutdown(SocketShutdown.Send);
        var echoed = await client.ReceiveToEndAsync();
        var closed = await recorder.NextClosedAsync();

        Assert.Equal("through the retry", Encoding.ASCII.GetString(echoed));
        Assert.Equal(1, echo.Accepted);
        var deadHost = Host(server, dead);
        var liveHost = Host(server, echo.EndPoint);
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(2, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_connect_attempts_exceeded"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
        Assert.Equal(1, deadHost.CxConnectFail);
        Assert.Equal(0, deadHost.CxActive);
        Assert.Equal(0, liveHost.CxConnectFail);
        Assert.Equal(1, liveHost.CxTotal);
        Assert.Equal(2, closed.ConnectAttempts);
        Assert.Same(liveHost, closed.UpstreamHost);
        Assert.False(closed.ResponseFlags.HasFlag(ResponseFlags.UpstreamRetryLimitExceeded));
    }

    [Fact]
    public async Task Connect_OnlyDeadEndpointOneAttempt_ClosedPromptlyWithUfUrx()
    {
        var dead = DeadEndPoint.Create();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([dead], p => p with { MaxConnectAttempts = 1 }));
        await server.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();
        var elapsed = stopwatch.Elapsed;
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN (it sent nothing, so closing its socket sends FIN)");
        Assert.True(elapsed < TimeSpan.FromSeconds(2), $"closed after {elapsed}");
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_attempts_exceeded"));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_connect_timeout"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
        Assert.Equal(ResponseFlags.UpstreamConnectionFailure | ResponseFlags.UpstreamRetryLimitExceeded, closed.ResponseFlags);
        Assert.Equal(1, closed.ConnectAttempts);
        Assert.Equal("delayed_connect_error:_Connection_refused", closed.UpstreamFailureReason);
        Assert.Equal(1, Host(server, dead).CxConnectFail);
    }

    [Fact]
    public async Task Connect_AllEndpointsDeadThreeAttempts_EveryAttemptCountedThenUrx()
    {
        var dead1 = DeadEndPoint.Create();
        var dead2 = DeadEndPoint.Create();
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple([dead1, dead2], p => p with { MaxConnectAttempts = 3 }));
        await server.StartAsync();

        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.Equal(3, closed.ConnectAttempts);
        Assert.Equal(ResponseFlags.UpstreamConnectionFailure | ResponseFlags.UpstreamRetryLimitExceeded, closed.ResponseFlags);
        Assert.Equal(3, server.Stats.GetValue("cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(3, server.Stats.GetValue("cluster.c.upstream_cx_total"));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_attempts_exceeded"));

        // The retry goes to the host not tried yet before trying one again.
        Assert.True(Host(server, dead1).CxConnectFail >= 1);
        Assert.True(Host(server, dead2).CxConnectFail >= 1);
    }

    private static EndpointState Host(KubegateServer server, IPEndPoint endPoint)
    {
        Assert.True(server.Clusters.TryGet("c", out var cluster));
        return cluster.AllHosts.Hosts.Single(h => h.EndPoint.Equals(endPoint));
    }
}
