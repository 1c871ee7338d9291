using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>The real executable under a stand-in service manager: sd_notify messages and their order.</summary>
public class SystemdNotifyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-notify-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_NotifySocketAndWatchdog_ReadyPingsReloadingStoppingInOrder()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        using var notify = NotifySocket.InDirectory(_dir);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["WATCHDOG_USEC"] = "2000000" };

        await using var process = KubegateProcess.Start(_dir, environment, "-c", "envoy.yaml", "--drain-time-s", "5");

        var ready = await notify.NextAsync(0, "READY=1");
        // READY=1 means serving: a connection made right after it is accepted and proxied.
        await AssertEchoesAsync(port);
        Assert.Contains("STATUS=serving: 1 listener(s), 1 cluster(s)", notify.Messages[ready], StringComparison.Ordinal);
        Assert.DoesNotContain(notify.Messages.Take(ready), m => NotifySocket.HasLine(m, "RELOADING=1") || NotifySocket.HasLine(m, "STOPPING=1"));

        // A 2 s watchdog gets a ping every second, for as long as the heartbeat runs.
        var ping = await notify.NextAsync(ready + 1, "WATCHDOG=1");
        ping = await notify.NextAsync(ping + 1, "WATCHDOG=1");

        process.Signal("HUP");
        var reloading = await notify.NextAsync(ping + 1, "RELOADING=1");
        Assert.Matches(@"(^|\n)MONOTONIC_USEC=\d+(\n|$)", notify.Messages[reloading]);
        var reloaded = await notify.NextAsync(reloading + 1, "READY=1");

        // An edited listener file is bracketed the same way.
        ServeConfig.WriteListeners(_dir, port, version: "2");
        reloading = await notify.NextAsync(reloaded + 1, "RELOADING=1");
        reloaded = await notify.NextAsync(reloading + 1, "READY=1");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("lds update accepted (version 2)", StringComparison.Ordinal));
        ping = await notify.NextAsync(reloaded + 1, "WATCHDOG=1");

        process.Terminate();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        var stopping = await notify.NextAsync(reloaded + 1, "STOPPING=1");
        Assert.Contains("STATUS=draining", notify.Messages[stopping], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ActiveHealthCheck_ReadyOnlyAfterTheFirstRound()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        var adminPort = FreePort.Next();
        // The first check waits 700 ms: a READY=1 sent before the first round would find no check done yet.
        ServeConfig.Write(_dir, port, echo.EndPoint, adminPort, healthCheckJitter: TimeSpan.FromMilliseconds(700));
        using var notify = NotifySocket.InDirectory(_dir);

        await using var process = KubegateProcess.Start(_dir, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address }, "-c", "envoy.yaml");
        await notify.NextAsync(0, "READY=1");
        using var http = new HttpClient { Timeout = Kubegate.Testing.TaskExtensions.DefaultTimeoutValue };
        var stats = await http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/stats")).DefaultTimeout();

        Assert.Contains("cluster.c1.health_check.success: 1\n", stats, StringComparison.Ordinal);
        Assert.Contains("cluster.c1.membership_healthy: 1\n", stats, StringComparison.Ordinal);
        await AssertEchoesAsync(port);
        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Fact]
    public async Task Serve_AbstractNotifySocket_ReadyThenStopping()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        using var notify = NotifySocket.Abstract();

        await using var process = KubegateProcess.Start(_dir, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address }, "-c", "envoy.yaml");

        var ready = await notify.NextAsync(0, "READY=1");
        await AssertEchoesAsync(port);
        process.Terminate();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        await notify.NextAsync(ready + 1, "STOPPING=1");
        // No WATCHDOG_USEC, no pings.
        Assert.DoesNotContain(notify.Messages, m => NotifySocket.HasLine(m, "WATCHDOG=1"));
    }

    private static async Task AssertEchoesAsync(int port)
    {
        using var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port));
        await client.SendAllAsync("ping"u8.ToArray());
        Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());
    }
}
