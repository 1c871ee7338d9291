using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Health;
using Kubegate.FunctionalTests.Kubectl;
using Kubegate.Testing;
using Xunit.Abstractions;
using FakeApiServer = Kubegate.Testing.FakeApiServer;
using FakeApiServerOptions = Kubegate.Testing.FakeApiServerOptions;
using Kubeconfig = Kubegate.Testing.Kubeconfig;
using TestCertificateAuthority = Kubegate.Testing.TestCertificateAuthority;

namespace Kubegate.FunctionalTests.Maintenance;

/// <summary>
/// A rolling restart of two apiservers behind kubegate, each going through kube-apiserver's graceful shutdown
/// (<c>/readyz</c> 503 for the shutdown delay while it still serves, then it closes its connections, then it refuses),
/// with <c>health_check_role: readiness</c> and <c>close_connections_on_host_health_failure</c>: the real kubectl
/// keeps succeeding, kubegate cuts no watch during the delay, and every watch is back after each restart.
/// </summary>
[Collection(KubectlCollection.Name)]
public sealed class RollingRestartTests(ITestOutputHelper output) : IDisposable
{
    private const int Watches = 50;
    private static readonly TimeSpan ShutdownDelay = TimeSpan.FromSeconds(2.5);

    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-rolling-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task RollingRestart_ReadinessDrains_NoFailedRequestNoWatchCutAndWatchesResume()
    {
        var ca = TestCertificateAuthority.Create();
        using var user = ca.CreateClientCertificate("alice", "devs");
        void ApiServer(int index, FakeApiServerOptions options)
        {
            options.ClientCertificateAuthority = ca.Certificate;
            options.WatchEventInterval = TimeSpan.FromMilliseconds(200);
        }

        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 2,
            cluster: c => c with
            {
                CloseConnectionsOnHostHealthFailure = true,
                Kubegate = new KubegateClusterExtension { HealthCheckRole = HealthCheckRole.Readiness },
            },
            apiserver: ApiServer,
            ca: ca);
        var restarted = new List<FakeApiServer>();
        var kubeconfig = Kubeconfig.Write(Path.Combine(_dir, "kubeconfig"), $"https://{bed.ListenerEndPoint}", bed.Ca.Certificate, user);
        using var kubectl = new Testing.Kubectl(kubeconfig);
        await bed.WaitForAsync(() => bed.Cluster.AllHosts.Hosts.All(h => h.ServingState == ServingState.Up));

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var watchers = Enumerable.Range(0, Watches).Select(_ => new Watcher(bed.ListenerEndPoint, bed.Ca.Certificate, user, clock)).ToArray();
        var watching = watchers.Select(w => w.RunAsync(stop.Token)).ToArray();
        var requests = 0;
        var failures = new ConcurrentQueue<string>();
        var requestLoop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var result = await kubectl.RunAsync("get", "namespaces", "-o", "name");
                Interlocked.Increment(ref requests);
                if (!result.Succeeded || !result.StandardOutput.Contains("namespace/default", StringComparison.Ordinal))
                {
                    failures.Enqueue(result.ToString());
                }
            }
        });
        try
        {
            await Infrastructure.Wait.UntilAsync(() => watchers.All(w => w.Events > 0), TimeSpan.FromSeconds(30));
            for (var i = 0; i < 2; i++)
            {
                var old = bed.ApiServers[i];
                var host = bed.Host(i);
                var onIt = host.CxActive;

                // SIGTERM: /readyz fails while the apiserver serves for the shutdown delay, then it stops.
                var shutdownStarted = clock.Elapsed;
                var shutdown = old.ShutDownGracefullyAsync(ShutdownDelay);
                await bed.WaitForAsync(() => host.ServingState == ServingState.Draining);
                output.WriteLine($"apiserver-{i}: DRAINING after {(clock.Elapsed - shutdownStarted).TotalSeconds:F2} s with {onIt} connections");
                await shutdown;
                var stopped = clock.Elapsed;

                // kubegate cut nothing while the apiserver was draining: every watch that ended, ended when it stopped.
                // The apiserver closes them after its own delay timer, which may fire a millisecond before this test's
                // clock says the delay is over: 50 ms of slack at the end, far less than the 200 ms between checks.
                var drainingUntil = shutdownStarted + ShutdownDelay - TimeSpan.FromMilliseconds(50);
                Assert.DoesNotContain(watchers.SelectMany(w => w.Ends), end => end >= shutdownStarted && end < drainingUntil);
                await bed.WaitForAsync(() => host.ServingState == ServingState.Down);

                // Every watch is back (re-opened on the other apiserver) and receiving again.
                await Infrastructure.Wait.UntilAsync(() => watchers.All(w => w.LastEvent > stopped), TimeSpan.FromSeconds(30));

                // The restarted apiserver, on the same port.
                var options = new FakeApiServerOptions { Name = old.Name, Port = old.Port, ServerCertificate = bed.Ca.ServerCertificate };
                ApiServer(i, options);
                restarted.Add(await FakeApiServer.StartAsync(options));
                await bed.WaitForAsync(() => host.ServingState == ServingState.Up);
                output.WriteLine($"apiserver-{i}: back UP at {clock.Elapsed.TotalSeconds:F1} s; {requests} kubectl requests so far");
            }

            Assert.True(failures.IsEmpty, $"{failures.Count} of {requests} kubectl requests failed:\n{string.Join("\n", failures)}");
            Assert.True(requests >= 4, $"only {requests} kubectl requests ran");
            Assert.Equal(Watches, watchers.Count(w => w.Connected));
        }
        finally
        {
            await stop.CancelAsync();
            await requestLoop.WaitAsync(TimeSpan.FromSeconds(30));
            await Task.WhenAll(watching).WaitAsync(TimeSpan.FromSeconds(10));
            foreach (var watcher in watchers)
            {
                watcher.Dispose();
            }

            foreach (var server in restarted)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// One client-go reflector's watch, as its own TCP connection: reads events, and when the watch ends re-opens it
    /// (client-go continues from its last resourceVersion; the fake apiserver replays, which is enough here).
    /// </summary>
    private sealed class Watcher(IPEndPoint listener, System.Security.Cryptography.X509Certificates.X509Certificate2 ca, System.Security.Cryptography.X509Certificates.X509Certificate2 user, Stopwatch clock) : IDisposable
    {
        private readonly HttpClient _http = TestHttpClient.Create(ca, user, HttpVersion.Version11, HttpVersionPolicy.RequestVersionExact, Timeout.InfiniteTimeSpan);
        private readonly ConcurrentQueue<TimeSpan> _ends = new();
        private long _events;
        private long _lastEventTicks;
        private int _connected;

        public long Events => Interlocked.Read(ref _events);

        public TimeSpan LastEvent => TimeSpan.FromTicks(Interlocked.Read(ref _lastEventTicks));

        public IEnumerable<TimeSpan> Ends => _ends;

        public bool Connected => Volatile.Read(ref _connected) != 0;

        public async Task RunAsync(CancellationToken stop)
        {
            var uri = new Uri($"https://{listener}/api/v1/namespaces?watch=true");
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, stop);
                    response.EnsureSuccessStatusCode();
                    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop));
                    Volatile.Write(ref _connected, 1);
                    while (await reader.ReadLineAsync(stop) is not null)
                    {
                        Interlocked.Increment(ref _events);
                        Interlocked.Exchange(ref _lastEventTicks, clock.Elapsed.Ticks);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is HttpRequestException or IOException)
                {
                    // The watch broke: re-open it, as client-go does.
                }

                Volatile.Write(ref _connected, 0);
                _ends.Enqueue(clock.Elapsed);
            }
        }

        public void Dispose() => _http.Dispose();
    }
}
