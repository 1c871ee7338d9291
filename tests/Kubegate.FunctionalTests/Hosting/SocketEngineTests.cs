using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>
/// The real executable turns on inline socket completions unless the environment chose. The runtime shows the mode
/// only in its epoll threads (".NET Sockets"): one per core inline, one per 30 cores otherwise.
/// </summary>
public class SocketEngineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-engine-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(null, 2)]
    [InlineData("0", 1)]
    public async Task Serve_InlineCompletionsUnlessTheEnvironmentSaysOtherwise(string? setting, int epollThreads)
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        using var notify = NotifySocket.InDirectory(_dir);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["DOTNET_PROCESSOR_COUNT"] = "2" };
        if (setting is not null)
        {
            environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = setting;
        }

        await using var process = KubegateProcess.Start(_dir, environment, "-c", "envoy.yaml", "--drain-time-s", "1");
        await notify.NextAsync(0, "READY=1");

        using (var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await client.SendAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
            client.Shutdown(SocketShutdown.Send);
            Assert.Empty(await client.ReceiveToEndAsync());
        }

        var names = Directory.GetDirectories($"/proc/{process.Id}/task")
            .Select(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'))
            .ToList();
        Assert.Equal(epollThreads, names.Count(n => n == ".NET Sockets"));

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Theory]
    [InlineData(null, 2)]
    [InlineData("3", 3)]
    [InlineData("1", 1)]
    public async Task Serve_Reactors_OnePerCpuUnlessConcurrencySaysOtherwise(string? concurrency, int reactors)
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        using var notify = NotifySocket.InDirectory(_dir);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["DOTNET_PROCESSOR_COUNT"] = "2" };
        string[] args = concurrency is null
            ? ["-c", "envoy.yaml", "--drain-time-s", "1"]
            : ["-c", "envoy.yaml", "--drain-time-s", "1", "--concurrency", concurrency];

        await using var process = KubegateProcess.Start(_dir, environment, args);
        await notify.NextAsync(0, "READY=1");

        // Whatever the number of reactors, every connection is accepted and relayed.
        var clients = new List<Socket>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port));
                clients.Add(client);
                await client.SendAllAsync("ping"u8.ToArray());
                Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
            }
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        var names = Directory.GetDirectories($"/proc/{process.Id}/task")
            .Select(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'))
            .ToList();
        Assert.Equal(reactors, names.Count(n => n.StartsWith("kg-reactor-", StringComparison.Ordinal)));

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("epoll")]
    public async Task Serve_EventInterface_AnIoUringRingPerReactorUnlessEpollAsked(string? eventInterface)
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint);
        using var notify = NotifySocket.InDirectory(_dir);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address };
        string[] args = eventInterface is null
            ? ["-c", "envoy.yaml", "--drain-time-s", "1", "--concurrency", "2"]
            : ["-c", "envoy.yaml", "--drain-time-s", "1", "--concurrency", "2", "--event-interface", eventInterface];

        await using var process = KubegateProcess.Start(_dir, environment, args);
        await notify.NextAsync(0, "READY=1");
        using (var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await client.SendAllAsync("ping"u8.ToArray());
            Assert.Equal("ping"u8.ToArray(), await client.ReceiveExactlyAsync(4));
        }

        // A ring is a descriptor of its own ("anon_inode:[io_uring]"): one per reactor when io_uring is in use.
        using var probe = Kubegate.Proxy.Reactors.UringPort.TryCreate(out _);
        var expected = eventInterface is null && probe is not null ? 2 : 0;
        var rings = Directory.GetFiles($"/proc/{process.Id}/fd").Count(fd => LinkTarget(fd) == "anon_inode:[io_uring]");
        Assert.Equal(expected, rings);

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    /// <summary>What a /proc/PID/fd entry points at; null when the descriptor was closed meanwhile.</summary>
    private static string? LinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
