using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Sni;

/// <summary>
/// Envoy's in-place filter-chain update: a reload that changes one chain of a listener drains that chain's
/// connections and leaves the connections of the unchanged chains alone, under load.
/// </summary>
public sealed class FilterChainUpdateTests
{
    [Fact]
    public async Task ReloadChangingOneChain_DrainsItsConnectionsOnly_UnchangedChainKeepsRelayingUnderLoad()
    {
        await using var echoA = new TcpEchoServer();
        await using var echoB = new TcpEchoServer();
        var helloA = await SniConfig.CaptureClientHelloAsync("a.test");
        var helloB = await SniConfig.CaptureClientHelloAsync("b.test");
        ConfigSnapshot Snapshot(TimeSpan idleB)
        {
            var b = SniConfig.Chain("b", "cb", "b.test");
            return TestConfig.Snapshot(
                [SniConfig.Listener("l", [SniConfig.Chain("a", "ca", "a.test"), b with { TcpProxy = b.TcpProxy with { IdleTimeout = idleB } }])],
                [TestConfig.Cluster("ca"), TestConfig.Cluster("cb")],
                [TestConfig.Assignment("ca", echoA.EndPoint), TestConfig.Assignment("cb", echoB.EndPoint)]);
        }


        await using var server = new KubegateServer(Snapshot(TimeSpan.FromMinutes(10)), new KubegateServerOptions { DrainTime = TimeSpan.FromSeconds(1) });
        await server.StartAsync();
        var endPoint = server.GetListenerEndPoint("l");
        using var onA = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        using var onB = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await onA.SendAllAsync(helloA);
        await onB.SendAllAsync(helloB);
        Assert.Equal(helloA, await onA.ReceiveExactlyAsync(helloA.Length).DefaultTimeout());
        Assert.Equal(helloB, await onB.ReceiveExactlyAsync(helloB.Length).DefaultTimeout());

        // Load on chain a for the whole reload and drain: one round trip after another until chain b's connection closed.
        using var stop = new CancellationTokenSource();
        var roundTrips = 0;
        var load = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal("ping", await SniConfig.EchoAsync(onA, "ping"));
                roundTrips++;
            }
        });

        var failures = await server.ApplyAsync(Snapshot(TimeSpan.FromMinutes(20)));
        Assert.Empty(failures);
        Assert.Equal(1, server.Stats.GetValue("listener_manager.total_filter_chains_draining"));

        // Chain b changed: its connection gets the drain time, then is closed.
        var closed = await onB.ReceiveUntilClosedAsync().DefaultTimeout();
        Assert.Empty(closed.Data);
        await Wait.ForStatAsync(server.Stats, "listener_manager.total_filter_chains_draining", 0);
        await stop.CancelAsync();
        await load.DefaultTimeout();

        Assert.True(roundTrips > 10, $"{roundTrips} round trips on chain a during the reload");
        Assert.Equal("still", await SniConfig.EchoAsync(onA, "still"));
        Assert.Equal(1, echoA.Accepted);
        Assert.Equal(1, server.Stats.GetValue("listener_manager.listener_modified"));

        // New connections for b get the changed chain.
        using var newB = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await newB.SendAllAsync(helloB);
        Assert.Equal(helloB, await newB.ReceiveExactlyAsync(helloB.Length).DefaultTimeout());
        Assert.Equal(TimeSpan.FromMinutes(20), server.Listeners.Find("l")!.Runtime.Chains[1].TcpProxy.IdleTimeout);
    }
}
