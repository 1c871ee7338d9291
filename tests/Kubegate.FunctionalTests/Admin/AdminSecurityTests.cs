using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Admin;

/// <summary>
/// The admin interface has no authentication and listens on loopback: what a web page in the operator's browser, a
/// slow or oversized client, or a crafted path can do to it. Raw sockets where HttpClient would tidy the request up.
/// </summary>
public sealed class AdminSecurityTests : IAsyncLifetime
{
    private static readonly TimeSpan HeadersTimeout = TimeSpan.FromSeconds(1);

    private readonly TcpEchoServer _echo = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private KubegateServer _server = null!;
    private IPEndPoint _admin = null!;

    public async Task InitializeAsync()
    {
        var snapshot = TestConfig.Simple([_echo.EndPoint]) with
        {
            Bootstrap = new BootstrapConfig { Path = "test", Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } },
        };
        _server = new KubegateServer(snapshot, new KubegateServerOptions { AdminRequestHeadersTimeout = HeadersTimeout });
        await _server.StartAsync();
        _admin = _server.AdminEndPoint ?? throw new InvalidOperationException("admin did not start");
        _http.BaseAddress = new Uri($"http://{_admin}");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Fact]
    public async Task EveryMutatingPath_RefusesGet()
    {
        // Taken from /help, so a mutating handler added later is covered without editing this test.
        var help = await _http.GetStringAsync(new Uri("/help", UriKind.Relative));
        var postOnly = help.Split('\n')
            .Where(l => l.Contains(" (POST):", StringComparison.Ordinal))
            .Select(l => l.Trim()[..l.Trim().IndexOf(' ', StringComparison.Ordinal)])
            .ToList();

        Assert.Superset(new HashSet<string>(["/drain_listeners", "/healthcheck/fail", "/healthcheck/ok", "/logging", "/quitquitquit", "/reopen_logs", "/reset_counters"]), postOnly.ToHashSet());
        foreach (var path in postOnly)
        {
            using var response = await _http.GetAsync(new Uri(path, UriKind.Relative));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        }

        Assert.False(_server.IsStopping);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("Origin", "http://attacker.example")]
    [InlineData("Origin", "null")]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    public async Task CrossSitePost_Refused_NothingChanged(string header, string value)
    {
        // What a form on another site sends: a simple POST (form content type, no preflight), marked by the browser.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/healthcheck/fail", UriKind.Relative))
        {
            Content = new StringContent("x=1", Encoding.ASCII, "application/x-www-form-urlencoded"),
        };
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("refused", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task SameOriginPostAndPlainPost_Served()
    {
        // The dashboard's own request (its page's origin) and curl's (no Origin at all) both go through.
        using var sameOrigin = new HttpRequestMessage(HttpMethod.Post, new Uri("/healthcheck/fail", UriKind.Relative));
        sameOrigin.Headers.TryAddWithoutValidation("Origin", $"http://{_admin}");
        sameOrigin.Headers.TryAddWithoutValidation("Sec-Fetch-Site", "same-origin");
        using (var response = await _http.SendAsync(sameOrigin))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await _http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);
        using (var response = await _http.PostAsync(new Uri("/healthcheck/ok", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("rebound.attacker.example")]
    [InlineData("kubegate.internal")]
    public async Task ForeignHostName_Refused_DnsRebinding(string name)
    {
        var response = await RawGetAsync("/config_dump", $"{name}:{_admin.Port}");

        Assert.StartsWith("HTTP/1.1 403 ", response, StringComparison.Ordinal);
        Assert.DoesNotContain("\"configs\"", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    public async Task LoopbackHostName_Served(string name)
    {
        var response = await RawGetAsync("/ready", $"{name}:{_admin.Port}");

        Assert.StartsWith("HTTP/1.1 200 ", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/../../../../etc/passwd")]
    [InlineData("/%2e%2e/%2e%2e/%2e%2e/etc/passwd")]
    [InlineData("/dashboard.js/../../../etc/passwd")]
    [InlineData("/dashboard/..%2f..%2f..%2fetc%2fpasswd")]
    [InlineData("//etc/passwd")]
    [InlineData("/config_dump?resource=/etc/passwd")]
    [InlineData("/help?file=/etc/passwd")]
    public async Task CraftedPath_NeverReadsTheNamedFile(string target)
    {
        var response = await RawGetAsync(target, $"127.0.0.1:{_admin.Port}");

        Assert.StartsWith("HTTP/1.1 ", response, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OversizedHeadersAndBody_Refused()
    {
        var headers = await RawGetAsync("/ready", "127.0.0.1", $"X-Fill: {new string('a', 40 * 1024)}\r\n");
        Assert.StartsWith("HTTP/1.1 431 ", headers, StringComparison.Ordinal);

        var line = await RawGetAsync($"/ready?{new string('a', 10 * 1024)}", "127.0.0.1");
        Assert.StartsWith("HTTP/1.1 414 ", line, StringComparison.Ordinal);

        using var body = new ByteArrayContent(new byte[100 * 1024]);
        using var response = await _http.PostAsync(new Uri("/reset_counters", UriKind.Relative), body);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task SlowLoris_ClosedAfterTheHeadersTimeout_OthersStillServed()
    {
        using var slow = await SocketTestExtensions.ConnectTcpAsync(_admin);
        var request = Encoding.ASCII.GetBytes("GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + new string('a', 200));
        var stopwatch = Stopwatch.StartNew();
        var sent = 0;
        var closed = false;

        // A byte every 100 ms, never the end of the headers: bounded at 200 bytes (20 s).
        for (; sent < request.Length && !closed; sent++)
        {
            try
            {
                await slow.SendAsync(request.AsMemory(sent, 1));
            }
            catch (SocketException)
            {
                closed = true;
                break;
            }

            if (slow.Poll(100_000, SelectMode.SelectRead))
            {
                closed = true;
            }

            if (sent == 3)
            {
                // Meanwhile the admin answers everyone else.
                Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri("/ready", UriKind.Relative))).StatusCode);
            }
        }

        Assert.True(closed, $"still open after {sent} bytes in {stopwatch.Elapsed}");
        Assert.True(stopwatch.Elapsed >= HeadersTimeout, $"closed after {stopwatch.Elapsed}, before the {HeadersTimeout} header timeout");
        Assert.True(sent < request.Length);
    }

    /// <summary>A GET written byte for byte (HttpClient would normalize the target and set Host itself).</summary>
    private async Task<string> RawGetAsync(string target, string host, string extraHeaders = "")
    {
        using var socket = await SocketTestExtensions.ConnectTcpAsync(_admin);
        await socket.SendAllAsync(Encoding.ASCII.GetBytes($"GET {target} HTTP/1.1\r\nHost: {host}\r\n{extraHeaders}Connection: close\r\n\r\n"));
        var result = await socket.ReceiveUntilClosedAsync().DefaultTimeout();
        return Encoding.ASCII.GetString(result.Data);
    }
}
