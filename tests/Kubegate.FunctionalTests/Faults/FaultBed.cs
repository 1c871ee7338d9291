using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kubegate.FunctionalTests.Hosting;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// The fault-test topology, built afresh per test and removed in <see cref="DisposeAsync"/> whatever happened:
/// the real kubegate executable in a network namespace of its own, with its listener (127.0.0.1:6443), its admin
/// (127.0.0.1:9901) and the test's clients; two test apiservers (<see cref="A"/>, <see cref="B"/>), each in its own
/// namespace joined to kubegate's by a veth pair. Cluster <c>c</c> balances the apiservers' echo ports round robin,
/// health-checks them with HTTPS <c>GET /readyz</c> (the shipped example's check, on the endpoint's
/// <c>health_check_config.port_value</c>) at short intervals, and retries a failed connect on the other one.
/// </summary>
/// <remarks>
/// Namespaces are named <c>kgf-&lt;pid&gt;-&lt;n&gt;-…</c>: unique to this test process and to the bed, so parallel
/// test runs and a bed whose deletion lags never collide. Ports are fixed: every namespace is private.
/// </remarks>
internal sealed class FaultBed : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan CheckTimeout = TimeSpan.FromMilliseconds(500);
    public const int UnhealthyThreshold = 2;

    // 3 rather than the example's 2: under heavy random loss an ejected host must not come back on a few lucky checks
    // while the test asserts that it gets no new connections.
    public const int HealthyThreshold = 3;

    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromMilliseconds(500);

    /// <summary>Scheduling slack on a loaded 2-core machine (three processes, JIT, the health checks' TLS), on top of the protocol bound.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(2.5);

    public static readonly IPEndPoint ListenerEndPoint = new(IPAddress.Loopback, 6443);
    public static readonly IPEndPoint AdminEndPoint = new(IPAddress.Loopback, 9901);

    private static int _beds;

    private readonly string _directory;
    private readonly ITestOutputHelper _output;
    private readonly List<ApiServerNode> _apiservers = [];
    private NetworkNamespace? _gateway;
    private KubegateProcess? _kubegate;

    private FaultBed(string directory, ITestOutputHelper output)
    {
        _directory = directory;
        _output = output;
    }

    public ApiServerNode A => _apiservers[0];

    public ApiServerNode B => _apiservers[1];

    public NetworkNamespace Gateway => _gateway ?? throw new InvalidOperationException("not started");

    public KubegateProcess Kubegate => _kubegate ?? throw new InvalidOperationException("not started");

    public string HealthEventLogPath => Path.Combine(_directory, "health-events.log");

    public string AccessLogPath => Path.Combine(_directory, "access.log");

    /// <summary>
    /// The longest a failure may take to stop new connections: the check in flight when the fault began (it may
    /// still pass, up to the timeout), then <see cref="UnhealthyThreshold"/> (+ <paramref name="extraChecks"/>)
    /// failed checks, each waiting the interval and then up to the timeout, plus <see cref="Margin"/>.
    /// </summary>
    public static TimeSpan DetectionBound(int extraChecks = 0) =>
        CheckTimeout + ((UnhealthyThreshold + extraChecks) * (Interval + CheckTimeout)) + Margin;

    /// <param name="idleTimeout">The tcp_proxy's idle_timeout; null leaves kubegate's default (1 h), zero disables it.</param>
    /// <param name="keepalive">The cluster's upstream_connection_options.tcp_keepalive (seconds: time, interval; probes); null sets none.</param>
    public static async Task<FaultBed> StartAsync(ITestOutputHelper output, TimeSpan? idleTimeout = null, (int Time, int Interval, int Probes)? keepalive = null)
    {
        var id = Interlocked.Increment(ref _beds);
        var prefix = FormattableString.Invariant($"kgf-{Environment.ProcessId}-{id}");
        var bed = new FaultBed(Directory.CreateTempSubdirectory("kubegate-faults-").FullName, output);
        try
        {
            using (var ca = TestCertificateAuthority.Create("kubegate-faults-ca"))
            {
                // Both apiserver processes load this CA (and issue their server certificates from it); kubegate trusts it.
                ca.WriteCertificateAuthority(bed._directory, includeKey: true);
            }

            bed._gateway = await NetworkNamespace.CreateAsync(prefix + "-kg");
            bed._apiservers.Add(await ApiServerNode.CreateAsync("apiserver-a", prefix + "-a", bed._gateway, "va", 1, bed._directory));
            bed._apiservers.Add(await ApiServerNode.CreateAsync("apiserver-b", prefix + "-b", bed._gateway, "vb", 2, bed._directory));
            await Task.WhenAll(bed._apiservers.Select(a => a.StartAsync()));

            File.WriteAllText(Path.Combine(bed._directory, "envoy.yaml"), bed.Config(idleTimeout, keepalive));
            using var notify = NotifySocket.InDirectory(bed._directory);
            bed._kubegate = KubegateProcess.StartExecutable(
                KubegateProcess.ExecutablePath,
                bed._directory,
                new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address },
                fileLimit: null,
                bed._gateway.Name,
                "-c", "envoy.yaml");
            await notify.NextAsync(0, "READY=1");
            await bed.WaitForHealthyAsync(bed.A, TimeSpan.FromSeconds(30));
            await bed.WaitForHealthyAsync(bed.B, TimeSpan.FromSeconds(30));
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    /// <summary>A client connection to kubegate's listener, made inside kubegate's namespace.</summary>
    public Task<Socket> ConnectClientAsync(TimeSpan timeout) => Gateway.ConnectAsync(ListenerEndPoint, timeout);

    /// <summary>
    /// A client connection that kubegate relays to <paramref name="node"/>: connects, learns from <c>/clusters</c>
    /// which host's active connections grew, and tries again (closing the wrong one) until it is the wanted host.
    /// Only for quiet moments (no other connection opening), as at a test's start.
    /// </summary>
    public async Task<Socket> ConnectToAsync(ApiServerNode node)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var before = await HostsAsync();
            var socket = await ConnectClientAsync(TimeSpan.FromSeconds(10));
            IReadOnlyDictionary<string, HostStatus> after = before;
            await WaitForAdminAsync(async () => (after = await HostsAsync()).Values.Sum(h => h.CxActive) > before.Values.Sum(h => h.CxActive), TimeSpan.FromSeconds(10), "the new connection reached a host");
            if (after[node.HostName].CxActive > before[node.HostName].CxActive)
            {
                return socket;
            }

            socket.Dispose();
            await WaitForAdminAsync(async () => (await HostsAsync()).Values.Sum(h => h.CxActive) == before.Values.Sum(h => h.CxActive), TimeSpan.FromSeconds(10), "the closed connection ended");
        }

        throw new InvalidOperationException($"8 connections in a row went elsewhere than {node.Name}: round robin should alternate");
    }

    /// <summary>GET on the admin interface, from inside kubegate's namespace.</summary>
    public Task<string> AdminGetAsync(string path) => Gateway.AdminGetAsync(AdminEndPoint, path);

    /// <summary>One counter or gauge from <c>/stats</c> (0 when kubegate has not created it yet).</summary>
    public Task<long> StatAsync(string name) => Gateway.StatAsync(AdminEndPoint, name);

    /// <summary>Every host of cluster c as <c>/clusters</c> reports it (Envoy's text form, <c>c::addr:port::stat::value</c>).</summary>
    public async Task<IReadOnlyDictionary<string, HostStatus>> HostsAsync()
    {
        var values = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var line in (await AdminGetAsync("/clusters")).Split('\n'))
        {
            var parts = line.Trim().Split("::");
            // Cluster-wide lines (c::default_priority::max_connections::1024) have four parts too: hosts are endpoints.
            if (parts.Length == 4 && parts[0] == "c" && IPEndPoint.TryParse(parts[1], out _))
            {
                if (!values.TryGetValue(parts[1], out var host))
                {
                    values[parts[1]] = host = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                host[parts[2]] = parts[3];
            }
        }

        return values.ToDictionary(
            h => h.Key,
            h => new HostStatus(
                long.Parse(h.Value["cx_active"], CultureInfo.InvariantCulture),
                long.Parse(h.Value["cx_total"], CultureInfo.InvariantCulture),
                long.Parse(h.Value["cx_connect_fail"], CultureInfo.InvariantCulture),
                h.Value["health_flags"]),
            StringComparer.Ordinal);
    }

    public async Task<HostStatus> HostAsync(ApiServerNode node) => (await HostsAsync())[node.HostName];

    public Task WaitForHealthyAsync(ApiServerNode node, TimeSpan timeout) =>
        WaitForAdminAsync(async () => (await HostAsync(node)).Healthy, timeout, $"{node.Name} healthy");

    /// <summary>Polls the admin interface every 20 ms (it raises no event) until <paramref name="condition"/> holds.</summary>
    public async Task WaitForAdminAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"'{what}' still false after {timeout.TotalSeconds} s; /clusters:\n{await AdminGetAsync("/clusters")}\nkubegate:\n{Kubegate.StandardOutput}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Waits for the health event log's <c>eject_unhealthy_event</c> for <paramref name="node"/> and returns its
    /// timestamp (kubegate's clock, the moment the host was flagged and left the balancer's set).
    /// </summary>
    public async Task<DateTimeOffset> WaitForEjectionAsync(ApiServerNode node, TimeSpan timeout)
    {
        DateTimeOffset? ejected = null;
        await Wait.UntilAsync(() => (ejected = FindEjection(node)) is not null, timeout, $"eject_unhealthy_event for {node.Name}");
        return ejected!.Value;
    }

    /// <summary>The first ejection of <paramref name="node"/> in the health event log, or null.</summary>
    public DateTimeOffset? FindEjection(ApiServerNode node)
    {
        if (!File.Exists(HealthEventLogPath))
        {
            return null;
        }

        using var stream = new FileStream(HealthEventLogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0 || !line.EndsWith('}'))
            {
                continue; // a line still being written
            }

            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var address = root.GetProperty("host").GetProperty("socket_address");
            if (root.TryGetProperty("eject_unhealthy_event", out _)
                && address.GetProperty("address").GetString() == node.Address.ToString()
                && address.GetProperty("port_value").GetInt32() == ApiServerNode.EchoPort)
            {
                return DateTimeOffset.Parse(root.GetProperty("timestamp").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            }
        }

        return null;
    }

    /// <summary>kubegate's open socket descriptors (listeners, admin, health-check and proxied connections).</summary>
    /// <remarks>
    /// Sockets, not every descriptor: the tests run the framework-dependent build, whose runtime opens each assembly
    /// the first time a code path needs it (a fault's error path loads new ones) and keeps it open; pipes are
    /// kubegate's bounded splice pool, kept on purpose (its rent/return balance is asserted in-process by the proxy
    /// tests). A leaked connection always shows up as sockets.
    /// </remarks>
    public int SocketDescriptors() =>
        new DirectoryInfo($"/proc/{Kubegate.Id}/fd").EnumerateFileSystemInfos()
            .Count(fd => TryLinkTarget(fd)?.StartsWith("socket:", StringComparison.Ordinal) == true);

    public int AllDescriptors() => new DirectoryInfo($"/proc/{Kubegate.Id}/fd").EnumerateFileSystemInfos().Count();

    /// <summary>
    /// After a fault ended and every client closed: the listener's and cluster's active-connection gauges return to 0
    /// and kubegate's socket descriptors to <paramref name="baselineSockets"/> (awaited, since closes finish on
    /// kubegate's reactors and a recovered host's health-check connection is made anew). Returns the leak figures.
    /// </summary>
    public async Task<LeakReport> WaitForNoLeaksAsync(int baselineSockets, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var downstream = await StatAsync("listener.127.0.0.1_6443.downstream_cx_active");
            var upstream = await StatAsync("cluster.c.upstream_cx_active");
            var sockets = SocketDescriptors();
            var report = new LeakReport(downstream, upstream, sockets - baselineSockets);
            if (report.None || DateTime.UtcNow > deadline)
            {
                return report;
            }

            await Task.Delay(50);
        }
    }

    public void Log(string message) => _output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {message}");

    public async ValueTask DisposeAsync()
    {
        // Processes first (each by its PID), so that nothing holds the namespaces, then the links and namespaces.
        // Every step runs even when one before it failed; the first failure is rethrown at the end.
        var failures = new List<Exception>();
        async Task StepAsync(Func<Task> step)
        {
            try
            {
                await step().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (Exception ex)
            {
                failures.Add(ex);
            }
        }

        if (_kubegate is { } kubegate)
        {
            await StepAsync(() => kubegate.DisposeAsync().AsTask());
            _output.WriteLine("kubegate output:\n" + Tail(kubegate.StandardOutput + kubegate.StandardError, 40));
        }

        foreach (var apiserver in _apiservers)
        {
            await StepAsync(() => apiserver.DisposeAsync().AsTask());
        }

        if (_gateway is { } gateway)
        {
            await StepAsync(() => gateway.DisposeAsync().AsTask());
        }

        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("cleaning up the fault bed", failures);
        }
    }

    private static string Tail(string text, int lines) => string.Join('\n', text.Split('\n').TakeLast(lines));

    private static string? TryLinkTarget(FileSystemInfo fd)
    {
        try
        {
            return fd.LinkTarget;
        }
        catch (IOException)
        {
            return null; // closed while we looked
        }
    }

    private string Config(TimeSpan? idleTimeout, (int Time, int Interval, int Probes)? keepalive)
    {
        static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        // Spliced into the YAML below at the indentation of their parents' fields.
        var idle = idleTimeout is { } value ? "\n          idle_timeout: " + Seconds(value) : string.Empty;
        var tcpKeepalive = keepalive is { } k
            ? $"\n    upstream_connection_options:\n      tcp_keepalive: {{keepalive_time: {k.Time}, keepalive_interval: {k.Interval}, keepalive_probes: {k.Probes}}}"
            : string.Empty;
        var endpoints = string.Concat(_apiservers.Select(a =>
            $"\n        - endpoint:\n            address: {{socket_address: {{address: {a.Address}, port_value: {ApiServerNode.EchoPort}}}}}" +
            $"\n            health_check_config: {{port_value: {ApiServerNode.HealthPort}}}"));
        return $$$"""
            node: {id: faults, cluster: faults}
            admin:
              address: {socket_address: {address: {{{AdminEndPoint.Address}}}, port_value: {{{AdminEndPoint.Port}}}}}
            static_resources:
              listeners:
              - name: l
                address: {socket_address: {address: {{{ListenerEndPoint.Address}}}, port_value: {{{ListenerEndPoint.Port}}}}}
                filter_chains:
                - filters:
                  - name: envoy.filters.network.tcp_proxy
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                      stat_prefix: l
                      cluster: c
                      max_connect_attempts: 2{{{idle}}}
                      access_log:
                      - name: envoy.access_loggers.file
                        typed_config:
                          "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                          path: {{{AccessLogPath}}}
                          log_format:
                            text_format_source:
                              inline_string: "%UPSTREAM_HOST% %RESPONSE_FLAGS% %CONNECTION_TERMINATION_DETAILS% %DURATION% %BYTES_RECEIVED% %BYTES_SENT%\n"
              clusters:
              - name: c
                type: STATIC
                connect_timeout: {{{Seconds(ConnectTimeout)}}}
                lb_policy: ROUND_ROBIN{{{tcpKeepalive}}}
                load_assignment:
                  cluster_name: c
                  endpoints:
                  - lb_endpoints:{{{endpoints}}}
                transport_socket_matches:
                - name: health_check_tls
                  match: {health_check_tls: true}
                  transport_socket:
                    name: envoy.transport_sockets.tls
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                      sni: kubernetes.default
                      common_tls_context:
                        validation_context:
                          trusted_ca: {filename: {{{Path.Combine(_directory, "ca.crt")}}}}
                health_checks:
                - timeout: {{{Seconds(CheckTimeout)}}}
                  interval: {{{Seconds(Interval)}}}
                  no_traffic_interval: {{{Seconds(Interval)}}}
                  unhealthy_threshold: {{{UnhealthyThreshold}}}
                  healthy_threshold: {{{HealthyThreshold}}}
                  event_log_path: {{{HealthEventLogPath}}}
                  transport_socket_match_criteria: {health_check_tls: true}
                  http_health_check: {path: /readyz}
            """;
    }
}
