using System.Diagnostics;
using System.Net;
using Kubegate.Configuration.Watching;
using Kubegate.FunctionalTests.Infrastructure;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>Editing a cluster's EDS file while traffic flows.</summary>
public class EndpointReloadTests
{
    [Fact]
    public async Task EdsFileEdited_NewConnectionsGoToTheNewEndpointWithinASecond()
    {
        await using var a = new TcpEchoServer();
        await using var b = new TcpEchoServer();
        await using var host = await StartAsync(a.EndPoint);
        using var before = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l1"));
        await EchoAsync(before, "first");
        Assert.Equal(1, a.Accepted);

        host.WriteAtomic("eds_c1.yaml", ReloadConfig.Eds("c1", "2", [b.EndPoint]));
        var written = Stopwatch.StartNew();

        // Probe with a fresh connection every 10 ms until one lands on b; each probe is a full round trip.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (b.Accepted == 0)
        {
            Assert.True(written.Elapsed < TimeSpan.FromSeconds(1), $"no new connection reached the new endpoint {written.ElapsedMilliseconds} ms after the write");
            using var probe = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l1"));
            await EchoAsync(probe, "probe");
            await pace.WaitForNextTickAsync();
        }

        // From now on every new connection goes to b; the one opened before the edit is not touched (removing a host
        // never closes its connections).
        var onA = a.Accepted;
        using var after = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l1"));
        await EchoAsync(after, "new");
        Assert.Equal(onA, a.Accepted);
        await EchoAsync(before, "still here");
        Assert.Equal(2, host.Server.Stats.GetValue("cluster.c1.update_success"));
        Assert.Equal("2", host.Server.Stats.TryGetText("cluster.c1.version_text"));
    }

    [Fact]
    public async Task EdsFileBroken_RefusedWithLogLineWhileTrafficContinues()
    {
        await using var a = new TcpEchoServer();
        await using var host = await StartAsync(a.EndPoint);
        using var open = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l1"));
        await EchoAsync(open, "before");
        var mark = host.Mark();

        host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "2", [a.EndPoint]).Replace($"port_value: {a.EndPoint.Port}", "port_value: 99999", StringComparison.Ordinal));

        var result = await host.NextAsync(mark, "eds (cluster c1)");
        Assert.Equal(ReloadOutcome.Rejected, result.Outcome);
        var line = Assert.Single(host.Logs.Lines, l => l.Contains("eds (cluster c1) update rejected: eds_c1.yaml:", StringComparison.Ordinal));
        Assert.Contains("[251] Warning", line, StringComparison.Ordinal);
        Assert.Contains("resources[0].endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value", line, StringComparison.Ordinal);
        Assert.Contains(host.Logs.Lines, l => l.Contains("the last good configuration stays in force", StringComparison.Ordinal));
        Assert.Equal(1, host.Server.Stats.GetValue("cluster.c1.update_rejected"));

        // The dashboard's per-file status shows the refusal and its first problem.
        var status = Assert.Single(host.Server.ReloadStatus.Entries, e => e.File.EndsWith("eds_c1.yaml", StringComparison.Ordinal));
        Assert.Equal(ReloadOutcome.Rejected, status.Outcome);
        Assert.Contains("port_value", status.Problem, StringComparison.Ordinal);

        // Old and new connections still reach the endpoint in force.
        await EchoAsync(open, "after");
        using var fresh = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l1"));
        await EchoAsync(fresh, "new");
        Assert.Equal(2, a.Accepted);
    }

    [Fact]
    public async Task EdsFileWithoutAssignment_UpdateEmptyAndEndpointsKept()
    {
        await using var a = new TcpEchoServer();
        await using var host = await StartAsync(a.EndPoint);
        var mark = host.Mark();

        host.WriteAtomic("eds_c1.yaml", "version_info: \"empty\"\nresources: []\n");

        Assert.Equal(ReloadOutcome.Empty, (await host.NextAsync(mark, "eds (cluster c1)")).Outcome);
        Assert.Equal(1, host.Server.Stats.GetValue("cluster.c1.update_empty"));
        using var client = await SocketTestExtensions.ConnectTcpAsync(host.Server.GetListenerEndPoint("l1"));
        await EchoAsync(client, "kept");
        Assert.Equal(1, a.Accepted);
    }

    internal static async Task EchoAsync(System.Net.Sockets.Socket socket, string text)
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes(text);
        await socket.SendAllAsync(bytes);
        Assert.Equal(bytes, await socket.ReceiveExactlyAsync(bytes.Length));
    }

    private static async Task<ReloadTestHost> StartAsync(IPEndPoint endpoint)
    {
        var host = new ReloadTestHost();
        host.WriteInPlace("envoy.yaml", ReloadConfig.Bootstrap);
        host.WriteInPlace("lds.yaml", ReloadConfig.Lds("1", ReloadConfig.Listener("l1", "c1")));
        host.WriteInPlace("cds.yaml", ReloadConfig.Cds("1", ReloadConfig.Cluster("c1", "eds_c1.yaml")));
        host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "1", [endpoint]));
        await host.StartAsync();
        return host;
    }
}
