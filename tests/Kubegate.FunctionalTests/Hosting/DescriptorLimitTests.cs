using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>
/// kubegate under a low RLIMIT_NOFILE: the acceptors stop short of the descriptor reserve, so connections wait in the
/// backlog while established ones and the admin interface go on; closing connections lets the waiting ones in.
/// </summary>
[Collection(HeavyTestCollection.Name)]
public sealed class DescriptorLimitTests : IDisposable
{
    private const int FileLimit = 400;
    private const int Clients = 160;
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-nofile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Serve_DescriptorsRunLow_AcceptPausesEstablishedUnharmedAdminAnswersThenRecovers()
    {
        await using var echo = new TcpEchoServer();
        var port = FreePort.Next();
        var adminPort = FreePort.Next();
        ServeConfig.Write(_dir, port, echo.EndPoint, adminPort);
        using var notify = NotifySocket.InDirectory(_dir);
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["DOTNET_PROCESSOR_COUNT"] = "2" };
        await using var process = KubegateProcess.Start(_dir, environment, FileLimit, "-c", "envoy.yaml", "--drain-time-s", "1");
        await notify.NextAsync(0, "READY=1");
        using var admin = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = Kubegate.Testing.TaskExtensions.DefaultTimeoutValue };

        // Warm up first: the test runs the framework-dependent build, whose runtime keeps every assembly it loads
        // open, so the first admin request and the first connection each add dozens of descriptors (the NativeAOT
        // binary holds about 20 in all). The reserve is computed from counts, not from that growth.
        Assert.Equal(0, await StatAsync(admin, "server.accept_paused"));
        using (var first = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port)))
        {
            await first.SendAllAsync("warm"u8.ToArray());
            Assert.Equal("warm"u8.ToArray(), await first.ReceiveExactlyAsync(4));
        }

        Assert.Equal(0, await StatAsync(admin, "server.accept_paused"));

        // More clients than 400 descriptors can serve (two per proxied connection, plus the process's own and the reserve).
        var clients = new List<Socket>();
        var pausedWait = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var client = await SocketTestExtensions.ConnectTcpAsync(new IPEndPoint(IPAddress.Loopback, port));
                clients.Add(client);
                await client.SendAllAsync("ping"u8.ToArray());
            }

            while (await StatAsync(admin, "server.accept_paused") == 0)
            {
                Assert.True(pausedWait.Elapsed < Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, "accepting never paused");
                await Task.Delay(20);
            }

            var established = (int)await StatAsync(admin, "listener.127.0.0.1_" + port + ".downstream_cx_active");
            Assert.InRange(established, 1, Clients - 1);

            // The admin interface answers while accepting is paused.
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ready")).StatusCode);

            // The connections accepted before the pause (which ones depends on the kernel's spreading over the
            // reactors' sockets) echo as ever: the first `established` answers to arrive come from them.
            var answers = clients.ToDictionary(c => c.ReceiveExactlyAsync(4), c => c);
            var served = new List<Socket>();
            while (served.Count < established)
            {
                var answered = await Task.WhenAny(answers.Keys).DefaultTimeout();
                try
                {
                    Assert.Equal("ping"u8.ToArray(), await answered);
                }
                catch (SocketException ex)
                {
                    throw new InvalidOperationException($"a client was reset before the pause ended ({ex.Message}); kubegate wrote:\n{process.StandardOutput}", ex);
                }

                served.Add(answers[answered]);
                answers.Remove(answered);
            }

            foreach (var client in served)
            {
                await client.SendAllAsync("pong"u8.ToArray());
                Assert.Equal("pong"u8.ToArray(), await client.ReceiveExactlyAsync(4));
            }

            // Descriptors come back as connections end: every waiting client is served in turn (each closed once
            // served, since the reserve is counted afresh near the limit and the room after the pause may be a few
            // connections less than before it).
            served.ForEach(c => c.Dispose());
            while (answers.Count > 0)
            {
                var answered = await Task.WhenAny(answers.Keys).DefaultTimeout();
                try
                {
                    Assert.Equal("ping"u8.ToArray(), await answered);
                }
                catch (Exception ex) when (ex is TimeoutException or SocketException)
                {
                    throw new InvalidOperationException($"{answers.Count} of {Clients} clients ({established} accepted before the pause) not served ({ex.Message}); kubegate wrote:\n{process.StandardOutput}", ex);
                }

                answers[answered].Dispose();
                answers.Remove(answered);
            }

            Assert.Contains("descriptor reserve reached", process.StandardOutput, StringComparison.Ordinal);
        }
        finally
        {
            clients.ForEach(c => c.Dispose());
        }

        process.Terminate();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
    }

    private static async Task<long> StatAsync(HttpClient admin, string name)
    {
        var text = await admin.GetStringAsync("/stats?filter=" + Uri.EscapeDataString("^" + name.Replace(".", "\\.", StringComparison.Ordinal) + "$"));
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(name + ": ", StringComparison.Ordinal))
            {
                return long.Parse(line[(name.Length + 2)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
