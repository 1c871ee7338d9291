using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kubegate.Admin;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;
using Microsoft.Extensions.Logging;

namespace Kubegate.FunctionalTests.Admin;

/// <summary>The admin endpoints beyond stats and status: config dump, memory, certs, drain, quit, logging, access log, histograms.</summary>
public sealed partial class AdminOperationsTests : IAsyncLifetime
{
    // promtool's lint findings that Envoy's own metric names trigger (promlint naming and HELP checks, not format errors).
    private static readonly string[] EnvoyNamingLints =
    [
        " no help text",
        " counter metrics should have \"_total\" suffix",
        " non-counter metrics should not have \"_total\" suffix",
        " metric names should not contain abbreviated units",
    ];

    private static readonly string[] NewPostOnlyPaths = ["/drain_listeners", "/logging", "/quitquitquit", "/reopen_logs"];

    private readonly TcpEchoServer _echo = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string _directory = Directory.CreateTempSubdirectory("kubegate-admin-").FullName;
    private KubegateServer _server = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await _echo.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task NewPaths_InHelp_PostOnlyOnesRefuseGet_UnknownStays404()
    {
        await StartAsync();

        var (_, help) = await GetAsync("/help");
        foreach (var path in new[] { "/certs: ", "/config_dump: ", "/drain_listeners (POST): ", "/logging (POST): ", "/memory: ", "/quitquitquit (POST): ", "/reopen_logs (POST): " })
        {
            Assert.Contains("  " + path, help, StringComparison.Ordinal);
        }

        foreach (var path in NewPostOnlyPaths)
        {
            var (response, body) = await GetAsync(path);
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
            Assert.Equal("Method GET not allowed, POST required.", body);
        }

        var (notFound, notFoundBody) = await GetAsync("/config_dump/x");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        Assert.StartsWith("invalid path. admin commands are:", notFoundBody, StringComparison.Ordinal);
        Assert.False(_server.IsStopping);
    }

    [Fact]
    public async Task ConfigDump_JsonAndResource()
    {
        await StartAsync();

        var (response, body) = await GetAsync("/config_dump");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var configs = JsonDocument.Parse(body).RootElement.GetProperty("configs");
        Assert.Equal(3, configs.GetArrayLength());
        var cluster = configs[1].GetProperty("dynamic_active_clusters")[0].GetProperty("cluster");
        Assert.Equal("c", cluster.GetProperty("name").GetString());
        Assert.Equal("5s", cluster.GetProperty("connect_timeout").GetString());

        (_, body) = await GetAsync("/config_dump?include_eds");
        Assert.Equal(4, JsonDocument.Parse(body).RootElement.GetProperty("configs").GetArrayLength());

        (response, body) = await GetAsync("/config_dump?resource=dynamic_listeners");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var listener = Assert.Single(JsonDocument.Parse(body).RootElement.GetProperty("configs").EnumerateArray());
        Assert.Equal("l", listener.GetProperty("name").GetString());
        Assert.Equal("c", listener.GetProperty("active_state").GetProperty("listener").GetProperty("filter_chains")[0]
            .GetProperty("filters")[0].GetProperty("typed_config").GetProperty("cluster").GetString());

        (response, _) = await GetAsync("/config_dump?resource=bogus");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Memory_AndCerts_Json()
    {
        await StartAsync();

        var (response, body) = await GetAsync("/memory");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var memory = JsonDocument.Parse(body).RootElement;
        Assert.True(long.Parse(memory.GetProperty("allocated").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(memory.GetProperty("heap_size").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(memory.GetProperty("process_rss").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);

        // No TLS health checks in this config: nothing seen yet.
        (response, body) = await GetAsync("/certs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, JsonDocument.Parse(body).RootElement.GetProperty("certificates").GetArrayLength());
    }

    [Fact]
    public async Task DrainListeners_StopsAcceptingAtOnce()
    {
        await StartAsync();
        var endPoint = _server.GetListenerEndPoint("l");
        await ProxyOneConnectionAsync(endPoint);

        var (response, body) = await PostAsync("/drain_listeners?inboundonly");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK\n", body);
        Assert.Equal(0, _server.Stats.GetValue("listener_manager.total_listeners_active"));
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(endPoint));
        Assert.False(_server.IsStopping);
        (response, _) = await GetAsync("/ready");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task DrainListeners_Graceful_KeepsAcceptingForTheDrainTime()
    {
        await StartAsync(drainTime: TimeSpan.FromSeconds(3));
        var endPoint = _server.GetListenerEndPoint("l");

        var (response, body) = await PostAsync("/drain_listeners?graceful");

        Assert.Equal("OK\n", body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        // Within the drain time a new connection is still accepted and proxied (the listener is still counted active
        // after it: the connection came before the drain time ran out), and then the listener closes.
        var acceptedBefore = _server.Stats.GetValue("tcp.l.downstream_cx_total");
        await ProxyOneConnectionAsync(endPoint);
        Assert.Equal(1, _server.Stats.GetValue("listener_manager.total_listeners_active"));
        Assert.Equal(acceptedBefore + 1, _server.Stats.GetValue("tcp.l.downstream_cx_total"));
        await Wait.ForStatAsync(_server.Stats, "listener_manager.total_listeners_active", 0);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(endPoint));
    }

    [Fact]
    public async Task QuitQuitQuit_CallsTheStopCallbackAfterAnswering()
    {
        await StartAsync();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.StopApplication = () => stopped.TrySetResult();

        var (response, body) = await PostAsync("/quitquitquit");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("OK\n", body);
        await stopped.Task.DefaultTimeout();
    }

    [Fact]
    public async Task QuitQuitQuit_WithoutCallbackStopsTheServer()
    {
        await StartAsync();

        var (_, body) = await PostAsync("/quitquitquit");

        Assert.Equal("OK\n", body);
        await Wait.UntilAsync(() => _server.IsStopping);
    }

    [Fact]
    public async Task Logging_ChangesTheLevel()
    {
        await StartAsync();
        var levels = _server.LogLevels;
        Assert.Equal(LogLevel.Information, levels.Level);

        var (response, body) = await PostAsync("/logging?level=debug");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("active loggers:\n  kubegate: debug\n", body);
        Assert.Equal(LogLevel.Debug, levels.Level);
        Assert.True(levels.IsEnabled(LogLevel.Debug));
        Assert.False(levels.IsEnabled(LogLevel.Trace));

        (response, body) = await PostAsync("/logging?level=loud");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("usage: /logging?level=", body, StringComparison.Ordinal);
        Assert.Equal(LogLevel.Debug, levels.Level);

        (_, body) = await PostAsync("/logging?level=off");
        Assert.Equal("active loggers:\n  kubegate: off\n", body);
        Assert.False(levels.IsEnabled(LogLevel.Critical));

        (_, body) = await PostAsync("/logging");
        Assert.Equal("active loggers:\n  kubegate: off\n", body);
    }

    [Fact]
    public async Task AccessLog_OneLinePerRequest_ReopenedAfterMove()
    {
        var path = Path.Combine(_directory, "admin.log");
        var second = Path.Combine(_directory, "admin2.log");
        await StartAsync(new AdminConfig
        {
            Address = TestConfig.Loopback(),
            AccessLogPath = path,
            AccessLog = [new AccessLogConfig { Name = "envoy.access_loggers.file", TypeUrl = "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog", Path = second }],
        });

        await GetAsync("/ready");
        await GetAsync("/nope?x=1");

        var lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        Assert.Matches(AccessLine("GET", "/ready", 200, 5), lines[0]);
        Assert.Matches(AccessLine("GET", "/nope\\?x=1", 404, null), lines[1]);
        Assert.Equal(lines.Length, (await File.ReadAllLinesAsync(second)).Length);

        var moved = path + ".1";
        File.Move(path, moved);
        var (_, body) = await PostAsync("/reopen_logs");
        Assert.Equal("OK\n", body);
        await GetAsync("/ready");

        Assert.Equal(2, (await File.ReadAllLinesAsync(moved)).Length);
        lines = await File.ReadAllLinesAsync(path);
        Assert.Equal(2, lines.Length);
        Assert.Matches(AccessLine("POST", "/reopen_logs", 200, 3), lines[0]);
        Assert.Matches(AccessLine("GET", "/ready", 200, 5), lines[1]);
    }

    [Fact]
    public async Task AccessLog_DevNullIsOff()
    {
        await StartAsync(new AdminConfig { Address = TestConfig.Loopback(), AccessLogPath = "/dev/null" });

        var (response, _) = await GetAsync("/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(Directory.GetFiles(_directory));
    }

    [Fact]
    public async Task Histograms_RecordedPerConnection()
    {
        await StartAsync();
        var endPoint = _server.GetListenerEndPoint("l");
        await ProxyOneConnectionAsync(endPoint);
        await Wait.UntilAsync(() => _server.Stats.Histogram("cluster.c.upstream_cx_length_ms").Count == 1);
        var listenerScope = _server.Snapshot.Listeners[0].StatScope;
        await Wait.UntilAsync(() => _server.Stats.Histogram(listenerScope + "downstream_cx_length_ms").Count == 1);
        Assert.Equal(1, _server.Stats.Histogram("cluster.c.upstream_cx_connect_ms").Count);

        var (_, text) = await GetAsync("/stats");
        var lastCounter = text.LastIndexOf("server.live: ", StringComparison.Ordinal);
        var histogram = text.IndexOf("cluster.c.upstream_cx_connect_ms: P0(nan,", StringComparison.Ordinal);
        Assert.True(histogram > lastCounter, text);
        Assert.Contains(listenerScope + "downstream_cx_length_ms: P0(nan,", text, StringComparison.Ordinal);

        var (_, json) = await GetAsync("/stats?format=json&filter=upstream_cx_connect_ms");
        var computed = JsonDocument.Parse(json).RootElement.GetProperty("stats")[0].GetProperty("histograms").GetProperty("computed_quantiles");
        Assert.Equal("cluster.c.upstream_cx_connect_ms", Assert.Single(computed.EnumerateArray()).GetProperty("name").GetString());

        var (_, prometheus) = await GetAsync("/stats/prometheus");
        Assert.Contains("# TYPE envoy_cluster_upstream_cx_connect_ms histogram\n", prometheus, StringComparison.Ordinal);
        Assert.Contains("envoy_cluster_upstream_cx_connect_ms_bucket{envoy_cluster_name=\"c\",le=\"+Inf\"} 1\n", prometheus, StringComparison.Ordinal);
        Assert.Contains("envoy_cluster_upstream_cx_connect_ms_count{envoy_cluster_name=\"c\"} 1\n", prometheus, StringComparison.Ordinal);
        Assert.Contains("envoy_listener_downstream_cx_length_ms_count{envoy_listener_address=\"127.0.0.1_0\"} 1\n", prometheus, StringComparison.Ordinal);
    }

    /// <summary>
    /// The live Prometheus output must pass <c>promtool check metrics</c>. promtool also lints, and its lint findings
    /// (Envoy's counters do not end in <c>_total</c> while gauges like <c>membership_total</c> do, its histograms end
    /// in <c>_ms</c>, and it prints no <c># HELP</c>) make it exit 3 where parse
    /// errors exit 1. Newer promtool has <c>--lint=none</c>, used when offered; otherwise exit 3 passes only when every
    /// line it printed is one of those lint findings.
    /// </summary>
    [Fact]
    public async Task Prometheus_PassesPromtoolCheckMetrics()
    {
        var promtool = FindOnPath("promtool");
        Assert.True(promtool is not null, "promtool is not installed: apt-get install prometheus (Debian) — .ci/run installs it");
        await StartAsync();
        await ProxyOneConnectionAsync(_server.GetListenerEndPoint("l"));
        await Wait.UntilAsync(() => _server.Stats.Histogram("cluster.c.upstream_cx_length_ms").Count == 1);
        var (_, metrics) = await GetAsync("/stats/prometheus");
        Assert.Contains(" histogram\n", metrics, StringComparison.Ordinal);

        var (helpCode, help) = await RunAsync(promtool!, ["check", "metrics", "--help"], stdin: null);
        Assert.Equal(0, helpCode);
        string[] args = help.Contains("--lint", StringComparison.Ordinal) ? ["check", "metrics", "--lint=none"] : ["check", "metrics"];
        var (exitCode, output) = await RunAsync(promtool!, args, metrics);

        var problems = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !EnvoyNamingLints.Any(lint => line.EndsWith(lint, StringComparison.Ordinal)))
            .ToList();
        Assert.True(exitCode == 0 || (exitCode == 3 && problems.Count == 0), $"promtool exit {exitCode}; not lint-only:\n{string.Join("\n", problems)}\n--- full output:\n{output}");
        Assert.Empty(problems);
    }

    private static Regex AccessLine(string method, string path, int status, int? bytes) =>
        new($"^\\[\\d{{4}}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{{3}}Z\\] \"{method} {path} HTTP/1\\.1\" {status} {(bytes is null ? "\\d+" : bytes.ToString())} \\d+$");

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args, string? stdin)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        await process.WaitForExitAsync().DefaultTimeout();
        return (process.ExitCode, await stdout + await stderr);
    }

    private async Task StartAsync(AdminConfig? admin = null, TimeSpan? drainTime = null)
    {
        var snapshot = TestConfig.Simple([_echo.EndPoint]) with
        {
            Bootstrap = new BootstrapConfig { Path = "test", Admin = admin ?? new AdminConfig { Address = TestConfig.Loopback() } },
        };
        _server = new KubegateServer(snapshot, drainTime is null ? null : new KubegateServerOptions { DrainTime = drainTime.Value });
        await _server.StartAsync();
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_server.AdminEndPoint!.Port}");
    }

    private async Task<(HttpResponseMessage Response, string Body)> GetAsync(string path)
    {
        var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
        return (response, await response.Content.ReadAsStringAsync());
    }

    private async Task<(HttpResponseMessage Response, string Body)> PostAsync(string path)
    {
        var response = await _http.PostAsync(new Uri(path, UriKind.Relative), null);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static async Task ProxyOneConnectionAsync(IPEndPoint endPoint)
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(endPoint);
        await client.SendAsync(Encoding.ASCII.GetBytes("hi"));
        client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        while (await client.ReceiveAsync(buffer) > 0)
        {
        }
    }
}
