using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>
/// The real executable's graceful stop: SIGTERM drains (listeners closed, /ready 503, busy connections finish, quiet
/// ones close by --drain-strategy), the drain deadline closes the rest, a second signal ends it at once, exit 0.
/// </summary>
public partial class GracefulStopTests : IDisposable
{
    private static readonly TimeSpan RoundTripPause = TimeSpan.FromMilliseconds(50);

    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-stop-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Sigterm_ImmediateStrategy_QuietConnectionClosedBusyOneFinishesThenExitsZero()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        var adminPort = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint, adminPort);
        await using var process = await StartAsync("--drain-time-s", "60", "--drain-strategy", "immediate");
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        using var busy = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        using var quiet = await SocketTestExtensions.ConnectTcpAsync(endPoint);
        var sent = 0L;
        await RoundTripAsync(quiet, 0);
        var quietEnd = quiet.ReceiveUntilClosedAsync();

        // The busy connection's last exchange right before the signal: the immediate strategy's first pass closes
        // every connection quiet for a heartbeat at once, and nothing else may stand between the two.
        await RoundTripAsync(busy, sent++);
        process.Terminate();

        // The busy connection keeps relaying while the drain closes the quiet one (quiet for 1 s, then the next
        // heartbeat): each round trip waits at most 50 ms for that close, so the busy one is never quiet that long.
        for (var i = 0; i < 400 && !quietEnd.IsCompleted; i++)
        {
            await RoundTripAsync(busy, sent++);
            try
            {
                await quietEnd.WaitAsync(RoundTripPause);
            }
            catch (TimeoutException)
            {
                // Not closed yet: another round trip.
            }
        }

        var quietResult = await quietEnd;
        Assert.True(quietResult.CleanEof, $"the quiet connection saw {quietResult.Error}, not FIN");
        Assert.Empty(quietResult.Data);

        // Draining: /ready says so, the admin interface still answers, the listener refuses new connections.
        using var http = new HttpClient { Timeout = Kubegate.Testing.TaskExtensions.DefaultTimeoutValue };
        var ready = await http.GetAsync(new Uri($"http://127.0.0.1:{adminPort}/ready")).DefaultTimeout();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("DRAINING\n", await ready.Content.ReadAsStringAsync());
        var stats = await http.GetStringAsync(new Uri($"http://127.0.0.1:{adminPort}/stats")).DefaultTimeout();
        Assert.Contains("server.drain_closed_quiet: 1\n", stats, StringComparison.Ordinal);
        Assert.Contains("server.state: 1\n", stats, StringComparison.Ordinal);
        using (var late = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            var refused = await Assert.ThrowsAsync<SocketException>(() => late.ConnectAsync(endPoint).DefaultTimeout());
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }

        // The busy connection finishes on its own: every byte back, then the process exits well before 60 s.
        await RoundTripAsync(busy, sent++);
        busy.Shutdown(SocketShutdown.Send);
        Assert.Empty(await busy.ReceiveToEndAsync());
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        Assert.DoesNotContain("drain time over", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("stopped", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_ConnectionStillStreamingAtDrainDeadline_ClosedWithFinAndExitsZero()
    {
        await using var upstream = new RawTcpServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, upstream.EndPoint);
        await using var process = await StartAsync("--drain-time-s", "2");
        using var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port));
        using var accepted = await upstream.AcceptAsync();

        // A watch-like stream: the apiserver sends a byte every 100 ms, so the connection is never quiet and only the
        // deadline can close it (bounded: 300 bytes, 30 s).
        using var stopStreaming = new CancellationTokenSource();
        var streaming = StreamAsync(accepted, stopStreaming.Token);
        Assert.Single(await client.ReceiveExactlyAsync(1));
        var clientEnd = client.ReceiveUntilClosedAsync();
        var drainStarted = Stopwatch.StartNew();

        process.Terminate();
        var result = await clientEnd;

        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN");
        Assert.True(drainStarted.Elapsed >= TimeSpan.FromSeconds(1.5), $"closed after {drainStarted.Elapsed}, before the 2 s deadline");
        Assert.NotEmpty(result.Data);
        await process.WaitForExitAsync();
        await stopStreaming.CancelAsync();
        await streaming;
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("drain time over: closed 1 connection(s) still open", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondSignal_DuringLongDrain_ClosesConnectionsAndExitsZeroAtOnce()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        await using var process = await StartAsync("--drain-time-s", "600");
        using var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port));
        await RoundTripAsync(client, 0);
        var clientEnd = client.ReceiveUntilClosedAsync();

        process.Terminate();
        await Wait.UntilAsync(() => process.StandardOutput.Contains("stopping: no longer accepting", StringComparison.Ordinal));
        // Gradual over 600 s: the one connection is not due before 300 s, so it is still open here.
        Assert.False(clientEnd.IsCompleted);
        process.Signal("INT");
        var result = await clientEnd.ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : throw new TimeoutException($"no close after SIGINT; kubegate wrote:\n{process.StandardOutput}", t.Exception), TaskScheduler.Default);
        await process.WaitForExitAsync();

        Assert.True(result.CleanEof, $"the client saw {result.Error}, not FIN");
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("SIGINT during the drain: cutting the drain short", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("drain cut short: closed 1 connection(s) still open", process.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JournalStream_LogLinesCarrySyslogPriorityPrefixes()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);

        await using var process = KubegateProcess.Start(_dir, new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:12345" }, "-c", "envoy.yaml");
        await Wait.UntilAsync(() => process.StandardOutput.Contains("accepting on 127.0.0.1:" + port, StringComparison.Ordinal) || process.Exited.IsCompleted);
        process.Terminate();
        await process.WaitForExitAsync();

        Assert.Equal(0, process.ExitCode);
        var lines = process.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length >= 3, process.StandardOutput);
        Assert.All(lines, line => Assert.Matches(JournalLine(), line));
        // Information is priority 6; the journal adds its own timestamps, so the line carries none.
        Assert.Contains(lines, line => line.StartsWith("<6>kubegate[101] started:", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^<[0-7]>\S+\[\d+\] ")]
    private static partial Regex JournalLine();

    private static async Task RoundTripAsync(Socket socket, long sequence)
    {
        var payload = BitConverter.GetBytes(sequence);
        await socket.SendAllAsync(payload);
        Assert.Equal(payload, await socket.ReceiveExactlyAsync(payload.Length));
    }

    private static async Task StreamAsync(Socket socket, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        try
        {
            for (var i = 0; i < 300 && await timer.WaitForNextTickAsync(cancellationToken); i++)
            {
                await socket.SendAsync(new byte[] { (byte)'.' }, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Cancelled by the test, or the proxy closed the connection: the stream is over either way.
        }
    }

    private async Task<KubegateProcess> StartAsync(params string[] args)
    {
        var process = KubegateProcess.Start(_dir, ["-c", "envoy.yaml", .. args]);
        await Wait.UntilAsync(() => process.StandardOutput.Contains("started:", StringComparison.Ordinal) || process.Exited.IsCompleted);
        Assert.False(process.Exited.IsCompleted, process.StandardError);
        return process;
    }
}
