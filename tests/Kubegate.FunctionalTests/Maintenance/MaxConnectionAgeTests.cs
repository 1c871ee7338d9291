using System.Diagnostics;
using System.Net.Sockets;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.AccessLog;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Maintenance;

/// <summary>
/// <c>max_connection_age</c> with jitter over real sockets: watches opened together end spread out, each with a FIN,
/// each logged with the <c>RBL</c> flag and its termination details.
/// </summary>
public sealed class MaxConnectionAgeTests : IDisposable
{
    private const int Connections = 30;
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-maxage-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ConnectionsOpenedTogether_EndSpreadOverTheJitter_GentlyAndLogged()
    {
        await using var upstream = new TcpEchoServer();
        var log = Path.Combine(_dir, "access.log");
        // Limits spread over [2 s, 4 s] (50 % jitter): wider than the 1 s heartbeat that closes them, so the closes land
        // on at least two heartbeats whatever their phase.
        var maxAge = TimeSpan.FromSeconds(4);
        var snapshot = TestConfig.Simple(
            [upstream.EndPoint],
            tcpProxy: p => AccessLogFixture.WithLog(p, AccessLogFixture.FileLog(log, "%RESPONSE_FLAGS% %CONNECTION_TERMINATION_DETAILS%\n")),
            cluster: c => c with
            {
                Kubegate = new KubegateClusterExtension { MaxConnectionAge = maxAge, MaxConnectionAgeJitterPercent = 50, Rebalance = new RebalanceConfig(20, 100, TimeSpan.FromSeconds(60)) },
            });
        await using var server = new KubegateServer(snapshot);
        await server.StartAsync();
        var listener = server.GetListenerEndPoint("l");
        var clock = Stopwatch.StartNew();
        var clients = new List<Socket>();
        try
        {
            var openedAt = new List<TimeSpan>();
            for (var i = 0; i < Connections; i++)
            {
                // Before the connect: kubegate's clock for the connection starts after this, so ages measured from
                // here are never shorter than kubegate's.
                openedAt.Add(clock.Elapsed);
                var client = await SocketTestExtensions.ConnectTcpAsync(listener);
                await client.SendAllAsync("x"u8.ToArray());
                Assert.Equal("x"u8.ToArray(), await client.ReceiveExactlyAsync(1));
                clients.Add(client);
            }

            var ends = await Task.WhenAll(clients.Select(async (c, i) =>
            {
                var result = await c.ReceiveUntilClosedAsync();
                return (Result: result, Age: clock.Elapsed - openedAt[i]);
            })).WaitAsync(TimeSpan.FromSeconds(30));

            Assert.All(ends, e => Assert.True(e.Result.CleanEof, $"ended with {e.Result.Error}"));

            // Each close waits for the next heartbeat (1 s) after its limit. No
            // upper bound in wall-clock time (a loaded machine delays heartbeats): that every connection ended at
            // all, gently and logged as max_connection_age, is what shows the limit holds.
            var ages = ends.Select(e => e.Age).Order().ToArray();
            Assert.True(ages[0] >= maxAge * 0.5, $"first closed after {ages[0].TotalSeconds:F2} s");
            // Limits 2 s apart land on heartbeats 1 or 2 s apart (never one): more than half a second apart, with room
            // for when each client saw its close. Without the jitter they would all go on the same heartbeat.
            Assert.True(ages[^1] - ages[0] >= TimeSpan.FromSeconds(0.5), $"all closed within {(ages[^1] - ages[0]).TotalSeconds:F2} s: no spread");
            await Wait.ForStatAsync(server.Stats, "cluster.c.kubegate.max_connection_age_cx_closed", Connections);
            await Wait.UntilAsync(() => File.Exists(log) && File.ReadAllLines(log).Length == Connections);
            Assert.All(File.ReadAllLines(log), line => Assert.Equal("RBL kubegate_max_connection_age", line));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }
}
