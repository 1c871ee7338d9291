using System.Diagnostics;
using Kubegate.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Proxy;

namespace Kubegate.FunctionalTests.Proxy;

public class ConnectTimeoutTests
{
    [BlackholeFact]
    public async Task Connect_EndpointNeverAccepts_TimesOutAndClosesDownstream()
    {
        var (blackhole, reason) = await BlackholeEndPoint.TryCreateAsync();
        Assert.True(blackhole is not null, reason);
        using var _ = blackhole;
        var recorder = new ConnectionRecorder();
        await using var server = recorder.CreateServer(TestConfig.Simple(
            [blackhole.EndPoint],
            cluster: c => c with { ConnectTimeout = TimeSpan.FromSeconds(0.5) }));
        await server.StartAsync();

        var stopwatch = Stopwatch.StartNew();
        using var client = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        var result = await client.ReceiveUntilClosedAsync();
        var elapsed = stopwatch.Elapsed;
        var closed = await recorder.NextClosedAsync();

        Assert.Empty(result.Data);
        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN (it sent nothing, so closing its socket sends FIN)");
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.45), TimeSpan.FromSeconds(3));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_timeout"));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_fail"));
        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_connect_attempts_exceeded"));
        Assert.Equal(0, server.Stats.GetValue("cluster.c.upstream_cx_active"));
        Assert.Equal(ResponseFlags.UpstreamConnectionFailure | ResponseFlags.UpstreamRetryLimitExceeded, closed.ResponseFlags);
        Assert.Null(closed.UpstreamFailureReason);
        Assert.NotNull(closed.UpstreamHost);
        Assert.Equal(1, closed.UpstreamHost.RqTimeout);
        Assert.Equal(1, closed.UpstreamHost.CxConnectFail);
    }
}
