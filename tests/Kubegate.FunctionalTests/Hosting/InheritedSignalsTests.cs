using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>
/// kubegate started with its signals ignored, as under <c>nohup</c> (SIGHUP) or as a shell script's background job
/// (SIGINT, SIGQUIT): each signal still does its job. Without the reset at start-up .NET keeps an inherited "ignored"
/// and every one of these signals would do nothing.
/// </summary>
public sealed class InheritedSignalsTests : IDisposable
{
    private static readonly string[] AllIgnored = ["HUP", "INT", "QUIT", "TERM", "USR1"];

    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-signals-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task IgnoredAtStart_HupReloadsUsr1ReopensRealLogFilesSecondIntCutsTheDrain()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        var accessLog = Path.Combine(_dir, "access.log");
        ServeConfig.Write(_dir, port, echo.EndPoint, accessLogPath: accessLog);
        await using var process = await StartIgnoringAsync("--drain-time-s", "600");
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);

        // SIGHUP: every file is re-read (once the reload service says it handles SIGHUP).
        await Wait.UntilAsync(() => process.StandardOutput.Contains("SIGHUP re-reads them all", StringComparison.Ordinal) || process.Exited.IsCompleted);
        process.Signal("HUP");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("SIGHUP: re-reading every configuration file", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, "SIGHUP ended the process: " + process.StandardOutput);

        // SIGUSR1 as logrotate uses it: the file was moved away; after the signal, entries go to a new file at the
        // configured path and none to the moved one.
        await RoundTripAsync(endPoint, "first");
        await Wait.UntilAsync(() => File.Exists(accessLog) && new FileInfo(accessLog).Length > 0);
        var rotated = accessLog + ".1";
        File.Move(accessLog, rotated);
        var rotatedLength = new FileInfo(rotated).Length;
        process.Signal("USR1");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("reopening 1 log file(s)", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, "SIGUSR1 ended the process: " + process.StandardOutput);
        await RoundTripAsync(endPoint, "second");
        await Wait.UntilAsync(() => File.Exists(accessLog) && new FileInfo(accessLog).Length > 0);
        Assert.Equal(rotatedLength, new FileInfo(rotated).Length);
        Assert.Single(File.ReadAllLines(accessLog));

        // SIGINT starts the drain; a second one cuts it short (600 s gradual: the open connection is not due yet).
        using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        await client.SendAllAsync("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await client.ReceiveExactlyAsync(1));
        var clientEnd = client.ReceiveUntilClosedAsync();
        process.Signal("INT");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("SIGINT: stopping gracefully", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(clientEnd.IsCompleted);
        process.Signal("INT");
        var result = await clientEnd.DefaultTimeout();
        await process.WaitForExitAsync();

        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN");
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("SIGINT during the drain: cutting the drain short", process.StandardOutput, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("QUIT")]
    public async Task IgnoredAtStart_StopSignalStopsGracefully(string signal)
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        await using var process = await StartIgnoringAsync("--drain-time-s", "1");

        process.Signal(signal);
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.Contains($"SIG{signal}: stopping gracefully", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HupAndUsr1DuringStartUp_IgnoredNotFatal()
    {
        // Until the reload service and the log reopener are registered there is nothing to reload or reopen, but
        // logrotate or a reload script may already send the signal: it must not end the process (their default
        // action). Sent every 10 ms from kubegate's first line ("starting": Main has run) until the reload service says
        // it handles SIGHUP; the health check's first round, 1 s away, keeps that window open (bounded: 500 rounds).
        // Before Main runs, any program dies of SIGHUP: no handler exists yet.
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint, healthCheckJitter: TimeSpan.FromSeconds(1));
        await using var process = KubegateProcess.Start(_dir, "-c", "envoy.yaml", "--drain-time-s", "1");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("starting:", StringComparison.Ordinal) || process.Exited.IsCompleted);
        var sent = 0;
        for (; sent < 500 && !process.StandardOutput.Contains("SIGHUP re-reads them all", StringComparison.Ordinal) && !process.Exited.IsCompleted; sent++)
        {
            process.Signal(sent % 2 == 0 ? "HUP" : "USR1");
            await Task.Delay(10);
        }

        Assert.False(process.Exited.IsCompleted, $"ended after {sent} signal(s): {process.StandardOutput}");
        Assert.True(sent > 0);
        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    private static async Task RoundTripAsync(IPEndPoint endPoint, string text)
    {
        using var client = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        var payload = System.Text.Encoding.ASCII.GetBytes(text);
        await client.SendAllAsync(payload);
        Assert.Equal(payload, await client.ReceiveExactlyAsync(payload.Length));
        client.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReceiveToEndAsync());
    }

    private async Task<KubegateProcess> StartIgnoringAsync(params string[] args)
    {
        var process = KubegateProcess.Start(_dir, new Dictionary<string, string>(), fileLimit: null, AllIgnored, ["-c", "envoy.yaml", .. args]);
        await Wait.UntilAsync(() => process.StandardOutput.Contains("started:", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, process.StandardError);
        return process;
    }
}
