using System.Net;
using System.Text.Json;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;

namespace Kubegate.FunctionalTests.Admin;

/// <summary>The dashboard's admin routes over real HTTP, and <c>kubegate status</c> as a process against them.</summary>
public sealed class DashboardTests : IAsyncLifetime
{
    private readonly TcpEchoServer _echo = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private KubegateServer _server = null!;
    private IPEndPoint _admin = null!;

    public async Task InitializeAsync()
    {
        var snapshot = TestConfig.Simple([_echo.EndPoint]) with
        {
            Bootstrap = new BootstrapConfig { Path = "test", Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } },
        };
        _server = new KubegateServer(snapshot);
        await _server.StartAsync();
        _admin = _server.AdminEndPoint ?? throw new InvalidOperationException("admin did not start");
        _http.BaseAddress = new Uri($"http://127.0.0.1:{_admin.Port}");
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _echo.DisposeAsync();
    }

    [Theory]
    [InlineData("/", "text/html; charset=UTF-8", "<script src=\"/dashboard.js\">")]
    [InlineData("/dashboard.css", "text/css; charset=UTF-8", "font-family: system-ui")]
    [InlineData("/dashboard.js", "text/javascript; charset=UTF-8", "/dashboard/state")]
    public async Task StaticFiles_ServedFromTheBinary(string path, string contentType, string contains)
    {
        using var response = await _http.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.ToString());
        Assert.Contains(contains, body, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", body, StringComparison.Ordinal); // no CDN, no external fonts
    }

    [Fact]
    public async Task Help_StillListsEnvoyLinks()
    {
        var body = await _http.GetStringAsync("/help");

        Assert.Contains("  /clusters: upstream cluster status\n", body, StringComparison.Ordinal);
        Assert.Contains("  /dashboard/state: ", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_IsJsonWithListenerClusterAndEndpoint()
    {
        using var response = await _http.GetAsync("/dashboard/state");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.ToString());
        var root = JsonDocument.Parse(body).RootElement;
        Assert.Equal("LIVE", root.GetProperty("server").GetProperty("state").GetString());
        var listener = Assert.Single(root.GetProperty("listeners").EnumerateArray());
        Assert.Equal("l", listener.GetProperty("name").GetString());
        Assert.Equal("c", listener.GetProperty("cluster").GetString());
        Assert.Equal(_server.GetListenerEndPoint("l").ToString(), listener.GetProperty("address").GetString());
        var cluster = Assert.Single(root.GetProperty("clusters").EnumerateArray());
        Assert.Equal("c", cluster.GetProperty("name").GetString());
        var endpoint = Assert.Single(cluster.GetProperty("endpoints").EnumerateArray());
        Assert.Equal(_echo.EndPoint.ToString(), endpoint.GetProperty("address").GetString());
        Assert.Equal("healthy", endpoint.GetProperty("state").GetString());
    }

    [Fact]
    public async Task StatusCommand_PrintsTheEndpointTable()
    {
        var process = await KubegateProcess.RunAsync(KubegateProcess.RepositoryRoot, "status", "--admin", $"127.0.0.1:{_admin.Port}");
        await using (process)
        {
            Assert.True(process.ExitCode == 0, process.StandardError);
            var lines = process.StandardOutput.Split('\n');
            Assert.Contains(lines, l => l.StartsWith("CLUSTER", StringComparison.Ordinal) && l.Contains("LAST CHECK", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("c ", StringComparison.Ordinal) && l.Contains(_echo.EndPoint.ToString(), StringComparison.Ordinal) && l.Contains("healthy", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task StatusCommand_UnreachableAdmin_Exit1WithMessage()
    {
        var dead = DeadEndPoint.Create();
        var process = await KubegateProcess.RunAsync(KubegateProcess.RepositoryRoot, "status", "--admin", dead.ToString());
        await using (process)
        {
            Assert.Equal(1, process.ExitCode);
            Assert.Contains($"cannot reach the admin interface at {dead}", process.StandardError, StringComparison.Ordinal);
            Assert.Equal(string.Empty, process.StandardOutput);
        }
    }
}
