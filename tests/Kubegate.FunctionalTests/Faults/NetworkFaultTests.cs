using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// Real network faults between kubegate and one of two apiservers (A), each in its own network namespace (see
/// <see cref="FaultBed"/>), with B healthy throughout. For each fault the test measures and asserts: the time from
/// the fault to kubegate flagging A (after which A gets no new connection), the client requests that failed
/// although connect retry had B to go to, the bytes lost or corrupted on streams to B, and what kubegate still
/// holds once the fault ended and the clients closed (connections, sockets).
/// </summary>
[Collection(NetworkFaultCollection.Name)]
public sealed class NetworkFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RequestPace = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(3);
    private const int RequestsAfterEjection = 20;
    private const int MaxRequests = 1000;
    private const string FaultTable = "kgfault";

    [NetworkFaultFact]
    public Task LinkDown_ApiServerInterfaceDown_EjectedInBoundNoFailedRequestsNoLeaks() => RunAsync(
        nameof(LinkDown_ApiServerInterfaceDown_EjectedInBoundNoFailedRequestsNoLeaks),
        new FaultScenario(
            "link down",
            bed => bed.A.Namespace.IpAsync("link", "set", ApiServerNode.Interface, "down"),
            bed => bed.A.Namespace.IpAsync("link", "set", ApiServerNode.Interface, "up"),
            RequestExpectation.ConnectsFailAndRetry));

    [NetworkFaultFact]
    public Task Blackhole_NftDropsEverything_EjectedInBoundNoFailedRequestsNoLeaks() => RunAsync(
        nameof(Blackhole_NftDropsEverything_EjectedInBoundNoFailedRequestsNoLeaks),
        new FaultScenario("blackhole (nft drop)", bed => DropEverythingAsync(bed.A), bed => RemoveTableAsync(bed.A), RequestExpectation.ConnectsFailAndRetry));

    [NetworkFaultFact]
    public Task Reset_NftRejectsWithTcpReset_EjectedInBoundStreamsToItResetNoFailedRequestsNoLeaks() => RunAsync(
        nameof(Reset_NftRejectsWithTcpReset_EjectedInBoundStreamsToItResetNoFailedRequestsNoLeaks),
        new FaultScenario(
            "reset (nft reject with tcp reset)",
            bed => bed.A.Namespace.NftAsync($$"""
                table inet {{FaultTable}} {
                  chain input { type filter hook input priority 0; policy accept; meta l4proto tcp reject with tcp reset; }
                }
                """),
            bed => RemoveTableAsync(bed.A),
            RequestExpectation.ConnectsFailAndRetry)
        {
            StreamsToFaultyHostEnd = true,
            StreamsToFaultyHostReset = true,
        });

    /// <summary>
    /// 80% of packets dropped each way at random. A check that has to connect fails unless both the SYN and the
    /// SYN-ACK pass (their first retransmission comes after 1 s, beyond the 0.5 s timeout): at least 96% of checks
    /// fail, so two in a row fail within the threshold + 4 checks allowed here but for about 1 in 10^4 runs (no two
    /// consecutive failures in 7 checks at 0.96), before the margin's extra checks.
    /// </summary>
    [NetworkFaultFact]
    public Task RandomLoss_NftNumgenDrops80Percent_EjectedInBoundOnlyRequestsConnectedToItMayFailNoLeaks() => RunAsync(
        nameof(RandomLoss_NftNumgenDrops80Percent_EjectedInBoundOnlyRequestsConnectedToItMayFailNoLeaks),
        new FaultScenario(
            "random loss 80% (nft numgen random)",
            bed => bed.A.Namespace.NftAsync($$"""
                table inet {{FaultTable}} {
                  chain input { type filter hook input priority 0; policy accept; iif "lo" accept; numgen random mod 100 < 80 drop; }
                  chain output { type filter hook output priority 0; policy accept; oif "lo" accept; numgen random mod 100 < 80 drop; }
                }
                """),
            bed => RemoveTableAsync(bed.A),
            RequestExpectation.MayFailOnFaultyHost)
        {
            ExtraChecks = 4,
        });

    /// <summary>
    /// A's replies capped at 4 Mbit/s (tc tbf on A's side of the link): /readyz is a few hundred bytes, so the host is
    /// slow, not dead, and must stay in the balancer; a 1 MiB echo through it comes back whole (backpressure through
    /// kubegate, about 2 s at the cap). The tbf queue holds at most 100 ms of replies (beyond it the kernel drops and
    /// TCP resends), so a /readyz answer queued behind the bulk stays well inside the 0.5 s check timeout.
    /// </summary>
    [NetworkFaultFact]
    public Task BandwidthCap_TcTbf4Mbit_NotEjectedBulkThroughItIntactNoFailedRequestsNoLeaks() => RunAsync(
        nameof(BandwidthCap_TcTbf4Mbit_NotEjectedBulkThroughItIntactNoFailedRequestsNoLeaks),
        new FaultScenario(
            "bandwidth cap 4 Mbit/s (tc tbf)",
            bed => bed.A.Namespace.TcAsync("qdisc", "add", "dev", ApiServerNode.Interface, "root", "tbf", "rate", "4mbit", "burst", "32kb", "latency", "100ms"),
            bed => bed.A.Namespace.TcAsync("qdisc", "del", "dev", ApiServerNode.Interface, "root"),
            RequestExpectation.Unaffected,
            Ejected: false)
        {
            BulkThroughFaultyHost = true,
        });

    [NetworkFaultFact]
    public Task Sigstop_ApiServerAcceptsTcpNeverAnswersTls_EjectedInBoundOnlyRequestsConnectedBeforeFailNoLeaks() => RunAsync(
        nameof(Sigstop_ApiServerAcceptsTcpNeverAnswersTls_EjectedInBoundOnlyRequestsConnectedBeforeFailNoLeaks),
        new FaultScenario(
            "apiserver SIGSTOP",
            bed =>
            {
                bed.A.Process.Signal("STOP");
                return Task.CompletedTask;
            },
            bed =>
            {
                bed.A.Process.Signal("CONT");
                return Task.CompletedTask;
            },
            RequestExpectation.AcceptedButUnanswered));

    [NetworkFaultFact]
    public Task Sigkill_ApiServerKilledMidStream_EjectedInBoundStreamsToItEndNoFailedRequestsNoLeaks() => RunAsync(
        nameof(Sigkill_ApiServerKilledMidStream_EjectedInBoundStreamsToItEndNoFailedRequestsNoLeaks),
        new FaultScenario(
            "apiserver SIGKILL mid-stream",
            async bed =>
            {
                bed.A.Process.Signal("KILL");

                // Dead and reaped: its sockets are closed, so from here every connect is refused.
                await bed.A.Process.WaitForExitAsync();
            },
            bed => bed.A.StartAsync(),
            RequestExpectation.ConnectsFailAndRetry)
        {
            StreamsToFaultyHostEnd = true,
        });

    /// <summary>
    /// The peer vanishes (everything to and from A dropped) while a watch-like connection to it sits idle: no FIN, no
    /// reset ever comes. With idle_timeout 2 s and no tcp_keepalive, the idle timeout must end it, with a FIN to the
    /// client, and free it; the access log says <c>tcp_session_idle_timeout</c>.
    /// </summary>
    [NetworkFaultFact]
    public Task FinNeverArrives_PeerVanishesUnderIdleConnection_IdleTimeoutEndsItWithFinNoLeaks() => RunAsync(
        nameof(FinNeverArrives_PeerVanishesUnderIdleConnection_IdleTimeoutEndsItWithFinNoLeaks),
        new FaultScenario("FIN never arrives, idle_timeout 2 s", bed => DropEverythingAsync(bed.A), bed => RemoveTableAsync(bed.A), RequestExpectation.ConnectsFailAndRetry)
        {
            IdleConnection = new IdleConnectionExpectation(TimeSpan.FromSeconds(2), "FIN", "tcp_session_idle_timeout", IdleTimeouts: 1),

            // Streams to A would stall and hit the same timeout; the idle connection is the one under test.
            StreamsToFaultyHost = 0,
        },
        idleTimeout: TimeSpan.FromSeconds(2));

    /// <summary>
    /// As above with the idle timeout off and the shipped example's tcp_keepalive, shortened to 1 s idle, 1 s between
    /// 2 probes: the kernel declares the silent peer dead after 1 + 2 × 1 = 3 s (ETIMEDOUT on the upstream socket), and
    /// kubegate passes that on as a reset to the client and frees the connection.
    /// </summary>
    [NetworkFaultFact]
    public Task FinNeverArrives_PeerVanishesUnderIdleConnection_TcpKeepaliveEndsItWithResetNoLeaks() => RunAsync(
        nameof(FinNeverArrives_PeerVanishesUnderIdleConnection_TcpKeepaliveEndsItWithResetNoLeaks),
        new FaultScenario("FIN never arrives, tcp_keepalive 1 s + 2 x 1 s", bed => DropEverythingAsync(bed.A), bed => RemoveTableAsync(bed.A), RequestExpectation.ConnectsFailAndRetry)
        {
            IdleConnection = new IdleConnectionExpectation(TimeSpan.FromSeconds(3), "reset (ConnectionReset)", "-", IdleTimeouts: 0),
            StreamsToFaultyHost = 0,
        },
        idleTimeout: TimeSpan.Zero,
        keepalive: (Time: 1, Interval: 1, Probes: 2));

    private static Task DropEverythingAsync(ApiServerNode node) => node.Namespace.NftAsync($$"""
        table inet {{FaultTable}} {
          chain input { type filter hook input priority 0; policy drop; iif "lo" accept; }
          chain output { type filter hook output priority 0; policy drop; oif "lo" accept; }
        }
        """);

    private static Task RemoveTableAsync(ApiServerNode node) => node.Namespace.NftCommandAsync("delete", "table", "inet", FaultTable);

    private async Task RunAsync(string test, FaultScenario fault, TimeSpan? idleTimeout = null, (int Time, int Interval, int Probes)? keepalive = null)
    {
        var total = Stopwatch.StartNew();
        await using var bed = await FaultBed.StartAsync(output, idleTimeout, keepalive);
        var faulty = bed.A;
        var healthy = bed.B;
        var baselineSockets = bed.SocketDescriptors();
        bed.Log($"both healthy after {total.Elapsed.TotalSeconds:0.0} s; kubegate holds {baselineSockets} sockets ({bed.AllDescriptors()} descriptors)");

        var removed = false;
        try
        {
            await using var streams = await FaultStreams.StartAsync(bed, fault.StreamsToFaultyHost, onB: 2);
            using var bulk = fault.BulkThroughFaultyHost ? await bed.ConnectToAsync(faulty) : null;
            using var idle = fault.IdleConnection is not null ? await bed.ConnectToAsync(faulty) : null;
            var idleLastByte = idle is null ? default : await ExchangeAsync(idle);

            var before = await bed.HostAsync(faulty);
            var healthyRoundTripsBefore = streams.RoundTrips(healthy);
            var injected = DateTimeOffset.UtcNow;
            await fault.Inject(bed);
            bed.Log($"{fault.Name}: injected");
            var idleEnd = idle is null ? null : WaitForEndAsync(idle);
            var bulkRun = bulk is null ? null : BulkEchoAsync(bulk);
            await using var load = RequestLoad.Start(bed, RequestPace, RequestTimeout, MaxRequests);

            // ---- detection ----
            TimeSpan? detection = null;
            HostStatus atEjection;
            DateTimeOffset? ejectedAt = null;
            if (fault.Ejected)
            {
                ejectedAt = await bed.WaitForEjectionAsync(faulty, FaultBed.DetectionBound(fault.ExtraChecks) + TimeSpan.FromSeconds(20));
                detection = ejectedAt.Value - injected;
                await bed.WaitForAdminAsync(async () => !(await bed.HostAsync(faulty)).Healthy, TimeSpan.FromSeconds(10), $"{faulty.Name} flagged in /clusters");
                atEjection = await bed.HostAsync(faulty);
                bed.Log($"{faulty.Name} ejected {detection.Value.TotalSeconds:0.000} s after the fault ({atEjection.HealthFlags}); bound {FaultBed.DetectionBound(fault.ExtraChecks).TotalSeconds:0.0} s");
                await load.WaitForStartedAfterAsync(DateTimeOffset.UtcNow, RequestsAfterEjection);
            }
            else
            {
                atEjection = before;
                await load.WaitForStartedAfterAsync(injected, 2 * RequestsAfterEjection);
            }

            var bulkResult = bulkRun is null ? null : await bulkRun.WaitAsync(TimeSpan.FromSeconds(60));
            var outcomes = await load.StopAsync();
            var after = await bed.HostAsync(faulty);
            if (fault.StreamsToFaultyHostEnd)
            {
                // With the fault still on: kubegate passed the peer's reset or end on, rather than leaving them open.
                await streams.EndedAsync(faulty).WaitAsync(TimeSpan.FromSeconds(30));
            }

            (DateTimeOffset At, string How)? idleResult = idleEnd is null ? null : await idleEnd.WaitAsync(TimeSpan.FromSeconds(30));

            // ---- the fault ends ----
            var removing = Stopwatch.StartNew();
            await fault.Remove(bed);
            removed = true;
            await bed.WaitForHealthyAsync(faulty, TimeSpan.FromSeconds(30));
            bed.Log($"{fault.Name}: removed; {faulty.Name} healthy again after {removing.Elapsed.TotalSeconds:0.0} s");
            var healthyRoundTripsDuring = streams.RoundTrips(healthy) - healthyRoundTripsBefore;
            await streams.StopAsync();
            var healthyBytes = streams.Bytes(healthy);
            var healthyFailures = streams.On(healthy).Where(s => s.Failure is not null).Select(s => s.Failure!).ToList();
            var corrupted = streams.On(faulty).Concat(streams.On(healthy)).Where(s => s.Corrupted).Select(s => s.Failure!).ToList();
            foreach (var stream in streams.On(faulty))
            {
                bed.Log($"stream to {faulty.Name}: {stream.Bytes} bytes verified, then {stream.Failure ?? "a clean end"}");
            }

            // Every client closes (the idle connection and the bulk one were already ended by kubegate or the echo).
            await streams.DisposeAsync();
            bulk?.Dispose();
            idle?.Dispose();
            var leaks = await bed.WaitForNoLeaksAsync(baselineSockets, TimeSpan.FromSeconds(20));

            // ---- figures ----
            var failed = outcomes.Where(o => o.Failed).ToList();
            var establishedToFaulty = after.Established - before.Established;
            // 100 ms after the flag: the event's timestamp has millisecond resolution, and a request needs a moment from
            // its start to kubegate's pick. That no pick after the flag went to A is asserted on A's cx_total.
            var failedAfterEjection = ejectedAt is { } e ? failed.Count(o => o.Started > e + TimeSpan.FromMilliseconds(100)) : 0;
            foreach (var reason in failed.GroupBy(o => o.Error))
            {
                bed.Log($"{reason.Count()} failed requests: {reason.Key}");
            }

            var detectionText = detection is { } d
                ? string.Create(CultureInfo.InvariantCulture, $"ejected in {d.TotalSeconds:0.00} s (bound {FaultBed.DetectionBound(fault.ExtraChecks).TotalSeconds:0.0} s), then {after.CxTotal - atEjection.CxTotal} new connections")
                : $"not ejected (expected), {after.CxTotal - before.CxTotal} new connections during the fault";
            if (idleResult is { } idleClosed)
            {
                detectionText += string.Create(CultureInfo.InvariantCulture, $"; the idle connection to {faulty.Name} ended {(idleClosed.At - idleLastByte).TotalSeconds:0.00} s after its last byte ({idleClosed.How})");
            }

            var requestsText = $"{failed.Count} failed of {outcomes.Count} ({establishedToFaulty} connected to {faulty.Name})";
            var streamsText = healthyFailures.Count + corrupted.Count == 0
                ? string.Create(CultureInfo.InvariantCulture, $"0 bytes corrupted or truncated ({healthyBytes} verified on {healthy.Name})")
                : $"DAMAGED: {string.Join("; ", healthyFailures.Concat(corrupted).Distinct())}";
            if (bulkResult is { } b)
            {
                streamsText += string.Create(CultureInfo.InvariantCulture, $"; 1 MiB echo through {faulty.Name} {(b.Intact ? "intact" : "DAMAGED")} in {b.Elapsed.TotalSeconds:0.0} s");
            }

            FaultReport.Write(output, test, fault.Name, detectionText, requestsText, streamsText, leaks.ToString());
            bed.Log($"test took {total.Elapsed.TotalSeconds:0.0} s");

            // ---- assertions ----
            Assert.Empty(corrupted);
            Assert.Empty(healthyFailures);
            Assert.True(healthyRoundTripsDuring > 0, $"the streams to {healthy.Name} made no progress during the fault");
            Assert.True(leaks.None, $"after the fault: {leaks}");
            if (fault.Ejected)
            {
                Assert.True(detection <= FaultBed.DetectionBound(fault.ExtraChecks), $"ejected after {detection?.TotalSeconds:0.000} s, bound {FaultBed.DetectionBound(fault.ExtraChecks).TotalSeconds:0.0} s");
                Assert.Equal(atEjection.CxTotal, after.CxTotal);
                Assert.Equal(0, failedAfterEjection);
            }
            else
            {
                Assert.Null(bed.FindEjection(faulty));
                Assert.True(after.CxTotal > before.CxTotal, $"{faulty.Name} got no new connection while slow");
            }

            switch (fault.Requests)
            {
                case RequestExpectation.ConnectsFailAndRetry:
                    Assert.Equal(0, establishedToFaulty);
                    Assert.Empty(failed);
                    break;
                case RequestExpectation.AcceptedButUnanswered:
                    Assert.True(establishedToFaulty > 0, $"no request was connected to {faulty.Name} before it was ejected");
                    Assert.Equal(establishedToFaulty, failed.Count);
                    break;
                case RequestExpectation.MayFailOnFaultyHost:
                    Assert.InRange(failed.Count, 0, establishedToFaulty);
                    break;
                case RequestExpectation.Unaffected:
                    Assert.Empty(failed);
                    break;
            }

            if (fault.StreamsToFaultyHostReset)
            {
                Assert.All(streams.On(faulty), s => Assert.Contains("reset", s.Failure ?? "a clean end", StringComparison.OrdinalIgnoreCase));
            }

            if (bulkResult is { } bulkDone)
            {
                Assert.True(bulkDone.Intact, $"the 1 MiB echo through {faulty.Name} came back {bulkDone.Length} bytes, hash equal: {bulkDone.Intact}");
            }

            if (fault.IdleConnection is { } expected && idleResult is { } ended)
            {
                Assert.Equal(expected.ClientSees, ended.How);
                Assert.InRange(ended.At - idleLastByte, expected.After - TimeSpan.FromMilliseconds(50), expected.After + FaultBed.Margin);
                Assert.Equal(expected.IdleTimeouts, await bed.StatAsync("tcp.l.idle_timeout"));

                // The only connection to A that carried bytes: requests never connected to it and it had no streams (the
                // set-up's connections that reached the wrong host closed at once, 0 bytes each way).
                var line = Assert.Single(File.ReadLines(bed.AccessLogPath), l => l.StartsWith(faulty.HostName + " ", StringComparison.Ordinal) && !l.EndsWith(" 0 0", StringComparison.Ordinal));
                bed.Log("access log: " + line);
                Assert.StartsWith($"{faulty.HostName} - {expected.TerminationDetails} ", line, StringComparison.Ordinal);
                Assert.EndsWith(" 5 5", line, StringComparison.Ordinal);
            }
        }
        finally
        {
            if (!removed)
            {
                // A failed assertion or timeout above: end the fault anyway (the namespace goes with the bed).
                try
                {
                    await fault.Remove(bed);
                }
                catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
                {
                    output.WriteLine($"removing the fault after a failure: {ex.Message}");
                }
            }
        }
    }

    /// <summary>One small exchange on an idle-to-be connection; returns when its last byte arrived.</summary>
    private static async Task<DateTimeOffset> ExchangeAsync(Socket socket)
    {
        await socket.SendAllAsync("watch"u8.ToArray());
        Assert.Equal("watch"u8.ToArray(), await socket.ReceiveExactlyAsync(5));
        return DateTimeOffset.UtcNow;
    }

    private static async Task<(DateTimeOffset At, string How)> WaitForEndAsync(Socket socket)
    {
        var result = await socket.ReceiveUntilClosedAsync();
        var at = DateTimeOffset.UtcNow;
        return (at, result.Data.Length > 0 ? $"{result.Data.Length} unexpected bytes" : result.CleanEof ? "FIN" : $"reset ({result.Error})");
    }

    private static async Task<BulkResult> BulkEchoAsync(Socket socket)
    {
        const long Length = 1 << 20;
        var clock = Stopwatch.StartNew();
        var receive = BulkData.ReceiveAsync(socket);
        var sentHash = await BulkData.SendAsync(socket, Length, seed: 42);
        var (length, hash) = await receive;
        return new BulkResult(length == Length && hash.AsSpan().SequenceEqual(sentHash), length, clock.Elapsed);
    }

    private sealed record BulkResult(bool Intact, long Length, TimeSpan Elapsed);
}
