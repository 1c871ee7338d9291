using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Soak.Errors;
using Kubegate.Soak.Faults;
using Kubegate.Soak.Harness;
using Kubegate.Soak.Load;
using Kubegate.Soak.Reporting;
using Kubegate.Soak.Sampling;
using Kubegate.Testing;

namespace Kubegate.Soak;

/// <summary>
/// One soak: upstreams on 127.0.0.1 (three echo servers, three apiserver doubles), kubegate in a temporary directory
/// in front of them, the loads and the flapper until the deadline, then the post-load checks and a graceful stop.
/// Everything it starts it stops in <c>finally</c>; kubegate by its PID.
/// </summary>
internal sealed class SoakRun(SoakOptions options)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    public async Task<SoakResult> RunAsync(CancellationToken interrupt)
    {
        var started = DateTime.UtcNow;
        var machine = await MachineInfo.ReadAsync(options.Kubegate);
        var directory = Directory.CreateTempSubdirectory("kubegate-soak-").FullName;
        var echoes = new List<TcpEchoServer>();
        var apiservers = new List<FakeApiServer>();
        using var ca = TestCertificateAuthority.Create("kubegate-soak-ca");
        KubegateChild? kubegate = null;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                echoes.Add(new TcpEchoServer());
                apiservers.Add(await FakeApiServer.StartAsync(new FakeApiServerOptions
                {
                    Name = $"apiserver-{(char)('a' + i)}",
                    ServerCertificate = ca.ServerCertificate,
                    WatchEventInterval = TimeSpan.FromSeconds(1),
                }, interrupt));
            }

            ca.WriteCertificateAuthority(directory);
            var config = new SoakConfig(directory, FreePort.Next(), FreePort.Next(), FreePort.Next(), [.. echoes.Select(e => e.EndPoint)], [.. apiservers.Select(a => a.EndPoint)]);
            config.Write(1);
            Console.WriteLine($"soak: kubegate in {directory}: streams on {config.StreamListener}, api on {config.ApiListener}, admin on {config.Admin}");
            kubegate = KubegateChild.Start(options.Kubegate, directory, "-c", SoakConfig.Bootstrap, "--log-level", "info", "--drain-time-s", "5");
            using var admin = new AdminClient(config.Admin);
            await WaitUntilServingAsync(kubegate, admin, config, apiservers.Count, interrupt);

            var sampler = new ProcessSampler(kubegate.Id);
            var idle = sampler.Read(TimeSpan.Zero);
            var flapping = apiservers[^1];
            var windows = new HealthFlapWindows(flapping.Name, SoakConfig.HealthInterval + SoakConfig.HealthTimeout + TimeSpan.FromSeconds(3));
            var counters = new LoadCounters();
            var errors = new ErrorLedger();
            var flapper = new ConfigFlapper(config, admin, flapping, windows);
            var target = new ApiTarget(new Uri($"https://{config.ApiListener}/"), ca.Certificate);

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(interrupt);
            var loadStart = DateTime.UtcNow;
            var tasks = new List<Task> { sampler.RunAsync(loadStart, LoadPlan.SamplePeriod, stop.Token), flapper.RunAsync(stop.Token) };
            var streams = new StreamLoad(config.StreamListener, counters, errors);
            var requests = new RequestLoad(target, counters, errors, windows);
            var watches = new WatchLoad(target, counters, errors, windows);
            for (var i = 0; i < LoadPlan.SmallStreams; i++)
            {
                var slot = i;
                tasks.Add(Task.Run(() => streams.RunAsync(slot, LoadPlan.SmallMaxPayload, LoadPlan.SmallPace, stop.Token)));
            }

            for (var i = 0; i < LoadPlan.BulkStreams; i++)
            {
                var slot = LoadPlan.SmallStreams + i;
                tasks.Add(Task.Run(() => streams.RunAsync(slot, LoadPlan.BulkMaxPayload, LoadPlan.BulkPace, stop.Token)));
            }

            for (var i = 0; i < LoadPlan.NewConnectionLoops; i++)
            {
                var slot = i;
                tasks.Add(Task.Run(() => requests.RunNewConnectionsAsync(slot, LoadPlan.NewConnectionPace, stop.Token)));
            }

            for (var i = 0; i < LoadPlan.KeepAliveLoops; i++)
            {
                var slot = i;
                var version = i % 2 == 0 ? HttpVersion.Version11 : HttpVersion.Version20;
                tasks.Add(Task.Run(() => requests.RunKeepAliveAsync(slot, version, LoadPlan.KeepAlivePace, stop.Token)));
            }

            for (var i = 0; i < LoadPlan.Watches; i++)
            {
                var slot = i;
                tasks.Add(Task.Run(() => watches.RunAsync(slot, stop.Token)));
            }

            var survived = await RunUntilDeadlineAsync(kubegate, options.Duration, counters, errors, sampler, machine, interrupt);
            var loadDuration = DateTime.UtcNow - loadStart;
            await stop.CancelAsync();
            Console.WriteLine("soak: stopping the load");
            var finished = Task.WhenAll(tasks);
            if (await Task.WhenAny(finished, Task.Delay(TimeSpan.FromSeconds(60), CancellationToken.None)) != finished)
            {
                Console.WriteLine("soak: some load tasks did not end within 60 s of the stop");
            }

            interrupt.ThrowIfCancellationRequested();
            machine.LoadAtEnd = MachineInfo.LoadAverage();
            ProcessSample? afterLoad = null;
            long leftOpen = -1;
            IReadOnlyDictionary<string, string> stats = new Dictionary<string, string>();
            if (survived && !kubegate.HasExited)
            {
                (afterLoad, leftOpen, stats) = await SettleAsync(sampler, admin, idle, loadStart);
            }

            var stoppedOnTerm = survived && await kubegate.TerminateAsync(StopTimeout);
            int? exitCode = kubegate.HasExited ? kubegate.ExitCode : null;
            var result = new SoakResult
            {
                StartedUtc = started,
                Command = options.Command,
                Planned = options.Duration,
                LoadDuration = loadDuration,
                Machine = machine,
                StreamBytes = counters.StreamBytes,
                StreamChunks = counters.StreamChunks,
                StreamsOpened = counters.StreamsOpened,
                StreamsCompleted = counters.StreamsCompleted,
                NewConnectionRequests = counters.NewConnectionRequests,
                KeepAliveRequests = counters.KeepAliveRequests,
                FailedRequests = counters.FailedRequests,
                WatchesOpened = counters.WatchesOpened,
                WatchesCompleted = counters.WatchesCompleted,
                WatchEvents = counters.WatchEvents,
                Errors = errors.Snapshot(),
                Idle = idle,
                Samples = sampler.Samples,
                AfterLoad = afterLoad,
                ConnectionsLeftOpen = leftOpen,
                Reloads = flapper.Reloads,
                ReloadsApplied = flapper.Applied,
                UpdatesRefused = AdminClient.Sum(stats, n => n.EndsWith(".update_rejected", StringComparison.Ordinal) || n.EndsWith(".update_failure", StringComparison.Ordinal)),
                HealthFlips = flapper.HealthFlips,
                HealthFlipsSeen = flapper.HealthFlipsSeen,
                FlapProblems = flapper.Problems,
                Upstreams =
                [
                    .. echoes.Select((e, i) => ($"echo-{i + 1}{(e.EndPoint.Equals(config.FlappingEcho) ? " (flapping in EDS)" : string.Empty)}", (long)e.Accepted)),
                    .. apiservers.Select(a => ($"{a.Name}{(a == flapping ? " (flapping /readyz)" : string.Empty)}", a.ConnectionCount)),
                ],
                Stats = [.. ReportedStats.Select(name => (name, AdminClient.Number(stats, name)))],
                SurvivedLoad = survived,
                StoppedOnTerm = stoppedOnTerm,
                ExitCode = exitCode,
                LogWarnings = kubegate.Warnings,
                LogUnhealthyHostWarnings = kubegate.UnhealthyHostWarnings,
                LogErrors = kubegate.Errors,
                LogTail = [],
            };
            return !result.Passed ? WithLogTail(result, kubegate) : result;
        }
        finally
        {
            if (kubegate is not null)
            {
                await kubegate.DisposeAsync();
            }

            foreach (var apiserver in apiservers)
            {
                await apiserver.DisposeAsync();
            }

            foreach (var echo in echoes)
            {
                await echo.DisposeAsync();
            }

            if (options.KeepDirectory)
            {
                Console.WriteLine($"soak: kept {directory}");
            }
            else
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>The kubegate stats the report lists.</summary>
    private static readonly string[] ReportedStats =
    [
        "server.reactor_errors", "server.accept_paused",
        "tcp.streams.downstream_cx_total", "tcp.api.downstream_cx_total",
        "cluster.echo.upstream_cx_total", "cluster.echo.upstream_cx_connect_fail", "cluster.echo.upstream_cx_destroy_local", "cluster.echo.membership_change",
        "cluster.api.upstream_cx_total", "cluster.api.upstream_cx_connect_fail", "cluster.api.upstream_cx_destroy_local",
        "cluster.api.health_check.success", "cluster.api.health_check.failure", "cluster.api.membership_change",
    ];

    private static SoakResult WithLogTail(SoakResult result, KubegateChild kubegate) => new()
    {
        StartedUtc = result.StartedUtc, Command = result.Command, Planned = result.Planned, LoadDuration = result.LoadDuration,
        Machine = result.Machine, StreamBytes = result.StreamBytes, StreamChunks = result.StreamChunks,
        StreamsOpened = result.StreamsOpened, StreamsCompleted = result.StreamsCompleted,
        NewConnectionRequests = result.NewConnectionRequests, KeepAliveRequests = result.KeepAliveRequests,
        FailedRequests = result.FailedRequests, WatchesOpened = result.WatchesOpened, WatchesCompleted = result.WatchesCompleted,
        WatchEvents = result.WatchEvents, Errors = result.Errors, Idle = result.Idle, Samples = result.Samples,
        AfterLoad = result.AfterLoad, ConnectionsLeftOpen = result.ConnectionsLeftOpen, Reloads = result.Reloads,
        ReloadsApplied = result.ReloadsApplied, UpdatesRefused = result.UpdatesRefused, HealthFlips = result.HealthFlips,
        HealthFlipsSeen = result.HealthFlipsSeen, FlapProblems = result.FlapProblems, Upstreams = result.Upstreams,
        Stats = result.Stats, SurvivedLoad = result.SurvivedLoad, StoppedOnTerm = result.StoppedOnTerm,
        ExitCode = result.ExitCode, LogWarnings = result.LogWarnings, LogUnhealthyHostWarnings = result.LogUnhealthyHostWarnings, LogErrors = result.LogErrors,
        LogTail = [.. kubegate.Tail(40).Where(l => !l.StartsWith("[", StringComparison.Ordinal))],
    };

    /// <summary>Waits until the admin answers, both listeners accept and every apiserver passed its first check.</summary>
    private static async Task WaitUntilServingAsync(KubegateChild kubegate, AdminClient admin, SoakConfig config, int apiservers, CancellationToken interrupt)
    {
        var deadline = Stopwatch.StartNew();
        string last = "no answer yet";
        while (deadline.Elapsed < StartTimeout)
        {
            if (kubegate.HasExited)
            {
                throw new InvalidOperationException($"kubegate exited with {kubegate.ExitCode} at start: {string.Join('\n', kubegate.Tail(20))}");
            }

            try
            {
                var clusters = await admin.ClustersAsync(interrupt);
                var healthy = clusters.Split('\n').Count(l => l.StartsWith("api::", StringComparison.Ordinal) && l.EndsWith("::health_flags::healthy", StringComparison.Ordinal));
                if (healthy == apiservers && await AcceptsAsync(config.StreamListener) && await AcceptsAsync(config.ApiListener))
                {
                    Console.WriteLine($"soak: kubegate (PID {kubegate.Id}) serving after {deadline.Elapsed.TotalSeconds:F1} s");
                    return;
                }

                last = $"{healthy} of {apiservers} apiservers healthy";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), interrupt);
        }

        throw new TimeoutException($"kubegate not serving within {StartTimeout.TotalSeconds} s: {last}");
    }

    private static async Task<bool> AcceptsAsync(IPEndPoint endPoint)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(5));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    /// <summary>Waits out the run, printing progress every minute; false if kubegate exited meanwhile.</summary>
    private static async Task<bool> RunUntilDeadlineAsync(KubegateChild kubegate, TimeSpan duration, LoadCounters counters, ErrorLedger errors, ProcessSampler sampler, MachineInfo machine, CancellationToken interrupt)
    {
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromMinutes(1);
        while (clock.Elapsed < duration)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), interrupt);
            machine.PeakLoad = Math.Max(machine.PeakLoad, MachineInfo.OneMinuteLoad());
            if (kubegate.HasExited)
            {
                Console.WriteLine($"soak: kubegate exited with {kubegate.ExitCode} after {clock.Elapsed.TotalMinutes:F1} min");
                return false;
            }

            if (clock.Elapsed >= nextReport)
            {
                nextReport += TimeSpan.FromMinutes(1);
                var last = sampler.Samples.LastOrDefault();
                Console.WriteLine(
                    $"soak: {clock.Elapsed.TotalMinutes:F0}/{duration.TotalMinutes:F0} min: {counters.Requests} requests, "
                    + $"{counters.StreamBytes / (1024 * 1024)} MiB verified (ended streams), {counters.WatchEvents} watch events, "
                    + $"errors {errors.Faults} unexplained / {errors.Expected} flap, RSS {last?.RssKiB / 1024.0:F1} MiB, {last?.Descriptors} fds, load {MachineInfo.LoadAverage()}");
            }
        }

        return !kubegate.HasExited;
    }

    /// <summary>
    /// After the load: waits (up to 20 s) until kubegate's listeners report no open connection and its sockets and
    /// other descriptors are back to the idle count (pipes: within the splice pool's bound), then reads the final
    /// sample and stats.
    /// </summary>
    private static async Task<(ProcessSample Sample, long LeftOpen, IReadOnlyDictionary<string, string> Stats)> SettleAsync(ProcessSampler sampler, AdminClient admin, ProcessSample idle, DateTime loadStart)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var stats = await admin.StatsAsync();
            var open = AdminClient.Sum(stats, n => n.StartsWith("listener.", StringComparison.Ordinal) && !n.Contains("admin", StringComparison.Ordinal) && n.EndsWith(".downstream_cx_active", StringComparison.Ordinal));
            var sample = sampler.Read(DateTime.UtcNow - loadStart);
            // Health checks open a connection a second per apiserver, so a reading may catch one in flight: the
            // loop waits for a moment without (or gives up after 20 s and the report shows what was left).
            if ((open == 0 && sample.Sockets <= idle.Sockets && sample.Other <= idle.Other && sample.Pipes <= SoakResult.PooledPipeEnds)
                || deadline.Elapsed > TimeSpan.FromSeconds(20))
            {
                return (sample, open, stats);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }
}
