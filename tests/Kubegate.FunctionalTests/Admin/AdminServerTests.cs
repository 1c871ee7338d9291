using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Admin;

public sealed class AdminServerTests : IAsyncLifetime
{
    private static readonly string[] PostOnlyPaths = ["/healthcheck/fail", "/healthcheck/ok", "/reset_counters"];

    private readonly TcpEchoServer _echo = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private KubegateServer _server = null!;

    public async Task InitializeAsync()
    {
        var snapshot = TestConfig.Simple([_echo.EndPoint]) with
        {
            Bootstrap = new BootstrapConfig { Path = "test", Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } },
        };
        _server = new KubegateServer(snapshot);
        await _server.StartAsync();
        var admin = _server.AdminEndPoint ?? throw new InvalidOperationException("admin did not start");
        Assert.Equal(IPAddress.Loopback, admin.Address);
        Assert.NotEqual(0, admin.Port);
        _http.BaseAddress = new Uri($"http://127.0.0.1:{admin.Port}");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Fact]
    public async Task Help_ListsHandlers()
    {
        var (response, body) = await GetAsync("/help");

        AssertText(response, HttpStatusCode.OK);
        Assert.StartsWith("admin commands are:\n", body, StringComparison.Ordinal);
        Assert.Contains("  /clusters: upstream cluster status\n", body, StringComparison.Ordinal);
        Assert.Contains("  /healthcheck/fail (POST): cause the server to fail health checks\n", body, StringComparison.Ordinal);
        Assert.Contains("  /stats/prometheus: ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownPath_404WithHelp()
    {
        var (_, help) = await GetAsync("/help");
        var (response, body) = await GetAsync("/nope?x=1");

        AssertText(response, HttpStatusCode.NotFound);
        Assert.Equal("invalid path. " + help, body);
    }

    [Fact]
    public async Task PostOnlyPaths_GetIs405()
    {
        foreach (var path in PostOnlyPaths)
        {
            var (response, body) = await GetAsync(path);

            AssertText(response, HttpStatusCode.MethodNotAllowed);
            Assert.Equal("Method GET not allowed, POST required.", body);
        }
    }

    [Fact]
    public async Task Ready_FlipsWithHealthCheckFailAndOk()
    {
        var (response, body) = await GetAsync("/ready");
        AssertText(response, HttpStatusCode.OK);
        Assert.Equal("LIVE\n", body);

        (response, body) = await PostAsync("/healthcheck/fail");
        AssertText(response, HttpStatusCode.OK);
        Assert.Equal("OK\n", body);
        (response, body) = await GetAsync("/ready");
        AssertText(response, HttpStatusCode.ServiceUnavailable);
        Assert.Equal("DRAINING\n", body);
        Assert.Equal(0, _server.Stats.GetValue("server.live"));
        (_, body) = await GetAsync("/server_info");
        Assert.Equal("DRAINING", JsonDocument.Parse(body).RootElement.GetProperty("state").GetString());

        (response, body) = await PostAsync("/healthcheck/ok");
        Assert.Equal("OK\n", body);
        (response, body) = await GetAsync("/ready");
        AssertText(response, HttpStatusCode.OK);
        Assert.Equal("LIVE\n", body);
        Assert.Equal(1, _server.Stats.GetValue("server.live"));
    }

    [Fact]
    public async Task Stats_ServerStateIsLiveFromTheStart()
    {
        var (response, body) = await GetAsync("/stats?filter=%5Eserver%5C.(live%7Cstate)%24");

        AssertText(response, HttpStatusCode.OK);
        Assert.Contains("server.live: 1\n", body, StringComparison.Ordinal);
        Assert.Contains("server.state: 0\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stats_AfterOneProxiedConnection()
    {
        await ProxyOneConnectionAsync();

        var (response, body) = await GetAsync("/stats");
        AssertText(response, HttpStatusCode.OK);
        Assert.Contains("cluster.c.upstream_cx_total: 1\n", body, StringComparison.Ordinal);

        (response, body) = await GetAsync("/stats?filter=upstream_cx_total");
        AssertText(response, HttpStatusCode.OK);
        Assert.Equal("cluster.c.upstream_cx_total: 1\n", body);

        (response, body) = await GetAsync("/stats?filter=(");
        AssertText(response, HttpStatusCode.BadRequest);

        (response, body) = await GetAsync("/stats?format=json&filter=%5Ecluster%5C.c%5C.");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        AssertCommonHeaders(response);
        var stats = JsonDocument.Parse(body).RootElement.GetProperty("stats").EnumerateArray()
            .Where(s => s.TryGetProperty("name", out _)) // the histograms element has no name
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("value").GetInt64());
        Assert.Equal(1, stats["cluster.c.upstream_cx_total"]);
        Assert.All(stats.Keys, k => Assert.StartsWith("cluster.c.", k, StringComparison.Ordinal));

        (response, body) = await GetAsync("/stats?usedonly");
        Assert.DoesNotContain("cluster.c.upstream_cx_overflow:", body, StringComparison.Ordinal);
        Assert.Contains("cluster.c.upstream_cx_total: 1\n", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prometheus_BothPaths()
    {
        await ProxyOneConnectionAsync();

        foreach (var path in new[] { "/stats/prometheus", "/stats?format=prometheus" })
        {
            var (response, body) = await GetAsync(path);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain; version=0.0.4", response.Content.Headers.ContentType?.ToString());
            AssertCommonHeaders(response);
            Assert.Contains("# TYPE envoy_cluster_upstream_cx_total counter\nenvoy_cluster_upstream_cx_total{envoy_cluster_name=\"c\"} 1\n", body, StringComparison.Ordinal);
            Assert.Contains("# TYPE envoy_server_live gauge\nenvoy_server_live{} 1\n", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ResetCounters_ZeroesCounters()
    {
        await ProxyOneConnectionAsync();

        var (response, body) = await PostAsync("/reset_counters");

        AssertText(response, HttpStatusCode.OK);
        Assert.Equal("OK\n", body);
        (_, body) = await GetAsync("/stats?filter=^cluster\\.c\\.upstream_cx_total$");
        Assert.Equal("cluster.c.upstream_cx_total: 0\n", body);
    }

    [Fact]
    public async Task Clusters_TextAndJson()
    {
        await ProxyOneConnectionAsync();
        var host = $"c::{_echo.EndPoint}::";

        var (response, body) = await GetAsync("/clusters");
        AssertText(response, HttpStatusCode.OK);
        var lines = body.Split('\n');
        Assert.Contains("c::observability_name::c", lines);
        Assert.Contains("c::added_via_api::true", lines);
        Assert.Contains(host + "cx_total::1", lines);
        Assert.Contains(host + "rq_total::1", lines);
        Assert.Contains(host + "health_flags::healthy", lines);
        Assert.Contains(host + "weight::1", lines);

        (response, body) = await GetAsync("/clusters?format=json");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var cluster = JsonDocument.Parse(body).RootElement.GetProperty("cluster_statuses")[0];
        Assert.Equal("c", cluster.GetProperty("name").GetString());
        var address = cluster.GetProperty("host_statuses")[0].GetProperty("address").GetProperty("socket_address");
        Assert.Equal(_echo.EndPoint.Port, address.GetProperty("port_value").GetInt32());
    }

    [Fact]
    public async Task Listeners_BoundAddress()
    {
        var bound = _server.GetListenerEndPoint("l");

        var (response, body) = await GetAsync("/listeners");
        AssertText(response, HttpStatusCode.OK);
        Assert.Equal($"l::{bound}\n", body);

        (response, body) = await GetAsync("/listeners?format=json");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var status = JsonDocument.Parse(body).RootElement.GetProperty("listener_statuses")[0];
        Assert.Equal("l", status.GetProperty("name").GetString());
        Assert.Equal(bound.Port, status.GetProperty("local_address").GetProperty("socket_address").GetProperty("port_value").GetInt32());
    }

    [Fact]
    public async Task ServerInfo_Json()
    {
        var (response, body) = await GetAsync("/server_info");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        AssertCommonHeaders(response);
        var info = JsonDocument.Parse(body).RootElement;
        Assert.Equal(KubegateCommandLine.Version, info.GetProperty("version").GetString());
        Assert.Equal("LIVE", info.GetProperty("state").GetString());
        Assert.EndsWith("s", info.GetProperty("uptime_current_epoch").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, info.GetProperty("command_line_options").ValueKind);
    }

    [Fact]
    public async Task Stop_ClosesAdmin()
    {
        var port = _server.AdminEndPoint!.Port;

        await _server.StopAsync();

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)));
    }

    private static void AssertText(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("text/plain; charset=UTF-8", response.Content.Headers.ContentType?.ToString());
        AssertCommonHeaders(response);
    }

    private static void AssertCommonHeaders(HttpResponseMessage response)
    {
        Assert.Equal("no-cache, max-age=0", string.Join(", ", response.Headers.GetValues("Cache-Control")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
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

    private async Task ProxyOneConnectionAsync()
    {
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(_server.GetListenerEndPoint("l"));
        await client.SendAsync(Encoding.ASCII.GetBytes("hi"));
        client.Shutdown(SocketShutdown.Send);
        var buffer = new byte[16];
        while (await client.ReceiveAsync(buffer) > 0)
        {
        }

        await Wait.UntilAsync(() => _server.Stats.GetValue("cluster.c.upstream_cx_total") == 1);
    }
}
