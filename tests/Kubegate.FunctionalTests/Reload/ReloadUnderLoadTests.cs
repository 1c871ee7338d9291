using Kubegate.Testing;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kubegate.Configuration.Watching;
using Kubegate.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>
/// The issue's load test: 100 long-lived connections stream checksummed data through two listeners while 60 reloads
/// of every kind apply one after another. Nothing that survives a reload may notice it.
/// </summary>
[Collection(HeavyTestCollection.Name)]
public class ReloadUnderLoadTests(ITestOutputHelper output)
{
    private const int Streams = 100;
    private const int Cycles = 5;
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan AcceptDeadline = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Reload_60UpdatesWhile100ConnectionsStream_NoCorruptionNoResetAndInvalidFilesChangeNothing()
    {
        await using var e1 = new TcpEchoServer();
        await using var e2 = new TcpEchoServer();
        await using var e3 = new TcpEchoServer();
        await using var host = new ReloadTestHost();
        var ldsGood = ReloadConfig.Lds("1", ReloadConfig.Listener("l1", "c1"), ReloadConfig.Listener("l2", "c2"));
        var ldsWithL3 = ReloadConfig.Lds("1+l3", ReloadConfig.Listener("l1", "c1"), ReloadConfig.Listener("l2", "c2"), ReloadConfig.Listener("l3", "c1"));
        string Cds(string lbPolicy) => ReloadConfig.Cds(
            "cds-" + lbPolicy,
            ReloadConfig.Cluster("c1", "eds_c1.yaml", lbPolicy),
            ReloadConfig.Cluster("c2", "cm/eds_c2.yaml", watchedDirectory: "cm"));
        var edsC1 = ReloadConfig.Eds("c1", "1", [e1.EndPoint]);
        host.WriteInPlace("envoy.yaml", ReloadConfig.Bootstrap);
        host.WriteInPlace("lds.yaml", ldsGood);
        host.WriteInPlace("cds.yaml", Cds("ROUND_ROBIN"));
        host.WriteInPlace("eds_c1.yaml", edsC1);
        host.WriteConfigMap("cm", "v0", new Dictionary<string, string> { ["eds_c2.yaml"] = ReloadConfig.Eds("c2", "cm-0", [e2.EndPoint]) });
        await host.StartAsync();
        var server = host.Server;

        // Half the streams through each listener: l1 -> c1 -> e1, l2 -> c2 -> e2. e3 is added and removed, so it
        // carries none of them.
        var l1 = server.GetListenerEndPoint("l1");
        var l2 = server.GetListenerEndPoint("l2");
        var streams = await Task.WhenAll(Enumerable.Range(0, Streams).Select(i => ChecksummedStream.ConnectAsync(i % 2 == 0 ? l1 : l2, i))).DefaultTimeout();
        using var stop = new CancellationTokenSource();
        var running = streams.Select(s => Task.Run(() => s.RunAsync(Pace, stop.Token))).ToArray();
        await Wait.UntilAsync(() => streams.All(s => s.RoundTrips > 0));

        var reloads = 0;
        var acceptTimes = new List<TimeSpan>();
        var lbPolicy = "ROUND_ROBIN";
        async Task<ReloadResult> ExpectAsync(int mark, string subscription, ReloadOutcome outcome)
        {
            var result = await host.NextAsync(mark, subscription);
            Assert.True(result.Outcome == outcome, $"{subscription}: {result.Outcome}, expected {outcome}: {string.Join("; ", result.Problems)}");
            reloads++;
            return result;
        }

        for (var cycle = 0; cycle < Cycles; cycle++)
        {
            // 1. Endpoint added (in-place write), 2. the same endpoint removed (atomic move).
            var mark = host.Mark();
            host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", $"{cycle}+e3", [e1.EndPoint, e3.EndPoint]));
            await ExpectAsync(mark, "eds (cluster c1)", ReloadOutcome.Accepted);
            Assert.True(server.Clusters.TryGet("c1", out var c1));
            Assert.Equal(2, c1.AllHosts.Count);

            mark = host.Mark();
            host.WriteAtomic("eds_c1.yaml", edsC1);
            await ExpectAsync(mark, "eds (cluster c1)", ReloadOutcome.Accepted);
            Assert.Equal(1, c1.AllHosts.Count);

            // 3. lb_policy changed.
            lbPolicy = lbPolicy == "ROUND_ROBIN" ? "LEAST_REQUEST" : "ROUND_ROBIN";
            mark = host.Mark();
            host.WriteInPlace("cds.yaml", Cds(lbPolicy));
            await ExpectAsync(mark, "cds", ReloadOutcome.Accepted);
            Assert.Equal(lbPolicy, c1.Config.LbPolicy == Kubegate.Configuration.LbPolicy.LeastRequest ? "LEAST_REQUEST" : "ROUND_ROBIN");

            // 4. Listener added (atomic move): it accepts within a second of the write.
            mark = host.Mark();
            host.WriteAtomic("lds.yaml", ldsWithL3);
            var written = Stopwatch.StartNew();
            IPEndPoint? l3 = null;
            await Wait.UntilAsync(() => (l3 = server.Listeners.Find("l3")?.LocalEndPoint) is not null, AcceptDeadline + TimeSpan.FromSeconds(4));
            using (var probe = await SocketTestExtensions.ConnectTcpAsync(l3!))
            {
                acceptTimes.Add(written.Elapsed);
            }

            await ExpectAsync(mark, "lds", ReloadOutcome.Accepted);

            // 5. Listener removed (in-place write): refused at once.
            mark = host.Mark();
            host.WriteInPlace("lds.yaml", ldsGood);
            await ExpectAsync(mark, "lds", ReloadOutcome.Accepted);
            using (var refused = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                var error = await Assert.ThrowsAsync<SocketException>(() => refused.ConnectAsync(l3!).DefaultTimeout());
                Assert.Equal(SocketError.ConnectionRefused, error.SocketErrorCode);
            }

            // 6. YAML syntax error: update_failure, nothing changes; 7. fixed again.
            var before = server.Snapshot;
            mark = host.Mark();
            host.WriteInPlace("lds.yaml", ldsGood + "  - [unclosed\n");
            var failure = await ExpectAsync(mark, "lds", ReloadOutcome.Failed);
            Assert.Contains(failure.Problems, p => p.File == "lds.yaml" && p.Line > 0);
            Assert.Same(before, server.Snapshot);
            Assert.Equal(cycle + 1, server.Stats.GetValue("listener_manager.lds.update_failure"));

            mark = host.Mark();
            host.WriteAtomic("lds.yaml", ldsGood.Replace("\"1\"", $"\"1-{cycle}\"", StringComparison.Ordinal));
            await ExpectAsync(mark, "lds", ReloadOutcome.Accepted);

            // 8. Validation error (an lb_policy Envoy knows but kubegate does not): update_rejected; 9. fixed.
            before = server.Snapshot;
            mark = host.Mark();
            host.WriteAtomic("cds.yaml", Cds("MAGLEV"));
            await ExpectAsync(mark, "cds", ReloadOutcome.Rejected);
            Assert.Same(before, server.Snapshot);
            Assert.Equal(cycle + 1, server.Stats.GetValue("cluster_manager.cds.update_rejected"));

            mark = host.Mark();
            host.WriteInPlace("cds.yaml", Cds(lbPolicy));
            await ExpectAsync(mark, "cds", ReloadOutcome.Accepted);

            // 10. An EDS file for the wrong cluster: rejected, endpoints kept; 11. fixed.
            before = server.Snapshot;
            mark = host.Mark();
            host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c9", "bad", [e3.EndPoint]));
            await ExpectAsync(mark, "eds (cluster c1)", ReloadOutcome.Rejected);
            Assert.Same(before, server.Snapshot);
            Assert.Equal(e1.EndPoint, Assert.Single(c1.AllHosts.Hosts).EndPoint);

            mark = host.Mark();
            host.WriteAtomic("eds_c1.yaml", edsC1.Replace("\"1\"", $"\"1-{cycle}\"", StringComparison.Ordinal));
            await ExpectAsync(mark, "eds (cluster c1)", ReloadOutcome.Accepted);

            // 12. ConfigMap-style swap of ..data (watched_directory): c2's endpoint weight changes.
            mark = host.Mark();
            host.WriteConfigMap("cm", "v" + (cycle + 1), new Dictionary<string, string> { ["eds_c2.yaml"] = ReloadConfig.Eds("c2", "cm-" + (cycle + 1), [e2.EndPoint], weight: (uint)(cycle + 2)) });
            await ExpectAsync(mark, "eds (cluster c2)", ReloadOutcome.Accepted);
            Assert.True(server.Clusters.TryGet("c2", out var c2));
            Assert.Equal((uint)(cycle + 2), Assert.Single(c2.AllHosts.Hosts).Weight);
        }

        var midway = streams.Select(s => s.RoundTrips).ToArray();
        await Wait.UntilAsync(() => streams.Select((s, i) => s.RoundTrips > midway[i]).All(b => b));
        await stop.CancelAsync();
        await Task.WhenAll(running).TimeoutAfter(TimeSpan.FromSeconds(30));

        var failures = streams.Where(s => s.Failure is not null).Select(s => s.Failure!).ToList();
        output.WriteLine($"{reloads} reloads; {streams.Sum(s => s.RoundTrips)} chunks, {streams.Sum(s => s.Bytes) / 1024} KiB verified; "
            + $"new listener accepting after {string.Join(", ", acceptTimes.Select(t => $"{t.TotalMilliseconds:F0} ms"))}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {Streams} streams failed: {string.Join("; ", failures.Take(5))}");
        Assert.True(reloads >= 50, $"{reloads} reloads");
        Assert.All(acceptTimes, t => Assert.True(t <= AcceptDeadline, $"l3 accepted {t.TotalMilliseconds:F0} ms after the write"));
        Assert.Equal(0, e3.Accepted);
        Assert.True(e1.Accepted >= Streams / 2, $"e1 accepted {e1.Accepted}");
        Assert.Equal(Streams / 2, e2.Accepted);

        var stats = server.Stats;
        Assert.Equal(Cycles, stats.GetValue("listener_manager.lds.update_failure"));
        Assert.Equal(Cycles, stats.GetValue("cluster_manager.cds.update_rejected"));
        Assert.Equal(Cycles, stats.GetValue("cluster.c1.update_rejected"));
        Assert.Equal(1 + (3 * Cycles), stats.GetValue("listener_manager.lds.update_success"));
        Assert.Equal(1 + (3 * Cycles), stats.GetValue("cluster.c1.update_success"));
        Assert.Equal(2 + Cycles, stats.GetValue("listener_manager.listener_added"));
        Assert.Equal(Cycles, stats.GetValue("listener_manager.listener_removed"));
        Assert.Equal(0, stats.GetValue("listener_manager.total_listeners_draining"));
        Assert.Equal("cm-" + Cycles, stats.TryGetText("cluster.c2.version_text"));
        Assert.DoesNotContain(host.Logs.Lines, l => l.Contains("reload failed unexpectedly", StringComparison.Ordinal));
    }
}
