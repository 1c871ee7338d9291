using Kubegate.Testing;
using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration.Watching;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>Editing the LDS file while connections are open.</summary>
public class ListenerReloadTests
{
    [Fact]
    public async Task ListenerRemoved_StopsAcceptingAndItsConnectionsCloseAfterTheDrainTime()
    {
        await using var echo = new TcpEchoServer();
        await using var host = await StartAsync(echo.EndPoint, TimeSpan.FromSeconds(1), ReloadConfig.Listener("keep", "c1"), ReloadConfig.Listener("gone", "c1"));
        var gone = host.Server.GetListenerEndPoint("gone");
        using var draining = await SocketTestExtensions.ConnectTcpAsync(gone);
        using var kept = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("keep"));
        await EndpointReloadTests.EchoAsync(draining, "a");
        await EndpointReloadTests.EchoAsync(kept, "a");
        var mark = host.Mark();

        host.WriteAtomic("lds.yaml", ReloadConfig.Lds("2", ReloadConfig.Listener("keep", "c1")));
        Assert.Equal(ReloadOutcome.Accepted, (await host.NextAsync(mark, "lds")).Outcome);

        // Not accepting any more, but the open connection still works during the drain time...
        using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var error = await Assert.ThrowsAsync<SocketException>(() => refused.ConnectAsync(gone).DefaultTimeout());
            Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
        }

        await EndpointReloadTests.EchoAsync(draining, "b");
        Assert.Equal(1, host.Server.Stats.GetValue("listener_manager.total_listeners_draining"));
        var closed = draining.ReceiveUntilClosedAsync();

        // ...and is closed (FIN) once it is over; the other listener's connection is not touched.
        var end = await closed;
        Assert.True(end.CleanEof, $"drained connection ended with {end.Error}");
        await Wait.ForStatAsync(host.Server.Stats, "listener_manager.total_listeners_draining", 0);
        await EndpointReloadTests.EchoAsync(kept, "b");
        Assert.Equal(1, host.Server.Stats.GetValue("listener_manager.listener_removed"));
        Assert.Contains(host.Logs.Lines, l => l.Contains("listener gone: drain time over, closed 1 connection(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListenerMovedToAnotherPort_NewPortServesOldConnectionsDrain()
    {
        await using var echo = new TcpEchoServer();
        var (first, second) = (FreePort.Next(), FreePort.Next());
        await using var host = await StartAsync(echo.EndPoint, TimeSpan.FromSeconds(1), ReloadConfig.Listener("l1", "c1", first));
        using var old = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, first));
        await EndpointReloadTests.EchoAsync(old, "a");
        var mark = host.Mark();

        host.WriteAtomic("lds.yaml", ReloadConfig.Lds("2", ReloadConfig.Listener("l1", "c1", second)));

        Assert.Equal(ReloadOutcome.Accepted, (await host.NextAsync(mark, "lds")).Outcome);
        using var moved = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, second));
        await EndpointReloadTests.EchoAsync(moved, "b");
        await EndpointReloadTests.EchoAsync(old, "b");
        var end = await old.ReceiveUntilClosedAsync();
        Assert.True(end.CleanEof, $"old connection ended with {end.Error}");
        await EndpointReloadTests.EchoAsync(moved, "c");
        Assert.Equal(1, host.Server.Stats.GetValue("listener_manager.listener_modified"));
        Assert.Equal(0, host.Server.Stats.GetValue("listener_manager.listener_removed"));
    }

    [Fact]
    public async Task ListenerChangedOnSameAddress_NoConnectionRefusedDuringTheSwap()
    {
        await using var echo = new TcpEchoServer();
        await using var host = await StartAsync(echo.EndPoint, null, ReloadConfig.Listener("l1", "c1"));
        var endPoint = host.Server.GetListenerEndPoint("l1");
        var listener = host.Server.Listeners.Find("l1");
        using var stop = new CancellationTokenSource();
        var connects = 0;
        var refusals = 0;
        var hammer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(endPoint);
                    connects++;
                }
                catch (SocketException)
                {
                    refusals++;
                }
            }
        });

        for (var i = 0; i < 3; i++)
        {
            var mark = host.Mark();
            host.WriteAtomic("lds.yaml", ReloadConfig.Lds("v" + i, ReloadConfig.Listener("l1", "c1").Replace("stat_prefix: l1", "stat_prefix: l1_" + i, StringComparison.Ordinal)));
            Assert.Equal(ReloadOutcome.Accepted, (await host.NextAsync(mark, "lds")).Outcome);
        }

        await stop.CancelAsync();
        await hammer.DefaultTimeout();
        Assert.Equal(0, refusals);
        Assert.True(connects > 0);
        Assert.Same(listener, host.Server.Listeners.Find("l1"));
        Assert.Equal(endPoint, host.Server.GetListenerEndPoint("l1"));
        Assert.Equal("l1_2", listener!.Runtime.Chains[0].TcpProxy.StatPrefix);
        Assert.Equal(3, host.Server.Stats.GetValue("listener_manager.listener_modified"));
    }

    [Fact]
    public async Task ListenerAddressTaken_LdsRejectedOthersAppliedAndLogged()
    {
        await using var echo = new TcpEchoServer();
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        var port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        await using var host = await StartAsync(echo.EndPoint, null, ReloadConfig.Listener("l1", "c1"));
        var mark = host.Mark();

        host.WriteAtomic("lds.yaml", ReloadConfig.Lds("2", ReloadConfig.Listener("l1", "c1"), ReloadConfig.Listener("busy", "c1", port), ReloadConfig.Listener("fresh", "c1")));

        var result = await host.NextAsync(mark, "lds");
        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        using var client = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("fresh"));
        await EndpointReloadTests.EchoAsync(client, "ok");
        Assert.Equal(1, host.Server.Stats.GetValue("listener_manager.listener_create_failure"));
        Assert.Equal(1, host.Server.Stats.GetValue("listener_manager.lds.update_rejected"));
        Assert.Contains(host.Logs.Lines, l => l.Contains($"lds update rejected: lds.yaml:", StringComparison.Ordinal)
            && l.Contains($"Error adding/updating listener(s) busy: cannot bind '127.0.0.1:{port}'", StringComparison.Ordinal));
        Assert.Null(host.Server.Listeners.Find("busy"));
    }

    private static async Task<ReloadTestHost> StartAsync(IPEndPoint endpoint, TimeSpan? drainTime, params string[] listeners)
    {
        var host = new ReloadTestHost();
        host.WriteInPlace("envoy.yaml", ReloadConfig.Bootstrap);
        host.WriteInPlace("lds.yaml", ReloadConfig.Lds("1", listeners));
        host.WriteInPlace("cds.yaml", ReloadConfig.Cds("1", ReloadConfig.Cluster("c1", "eds_c1.yaml")));
        host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "1", [endpoint]));
        await host.StartAsync(drainTime);
        return host;
    }
}
