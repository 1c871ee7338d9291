using System.Net;
using System.Net.Sockets;
using System.Text;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Maintenance;

/// <summary>
/// An operator's drain, disable and enable of one apiserver through the admin interface (HAProxy's
/// <c>set server state</c>), over real sockets: who gets new connections, what happens to the open ones, and that
/// a web page cannot do it cross-site.
/// </summary>
public sealed class EndpointMaintenanceTests : IAsyncLifetime
{
    private readonly TcpEchoServer _a = new();
    private readonly TcpEchoServer _b = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<Socket> _clients = [];
    private KubegateServer _server = null!;
    private IPEndPoint _listener = null!;

    private string AddressB => $"127.0.0.1:{_b.EndPoint.Port}";

    public async Task InitializeAsync()
    {
        var snapshot = TestConfig.Simple([_a.EndPoint, _b.EndPoint]) with
        {
            Bootstrap = new BootstrapConfig { Path = "test", Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } },
        };
        _server = new KubegateServer(snapshot);
        await _server.StartAsync();
        _listener = _server.GetListenerEndPoint("l");
        _http.BaseAddress = new Uri($"http://{_server.AdminEndPoint}");
    }

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _http.Dispose();
        await _server.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task Drain_Disable_Enable_MoveTrafficAsAnOperatorExpects()
    {
        // Round robin over A and B: two each.
        for (var i = 0; i < 4; i++)
        {
            _clients.Add(await ConnectAndEchoAsync());
        }

        Assert.Equal(2, _b.Accepted);

        // Drain B: new connections all go to A; B's open ones keep working.
        Assert.Equal("c 127.0.0.1:" + _b.EndPoint.Port + ": drain\n", await PostAsync("drain"));
        for (var i = 0; i < 6; i++)
        {
            _clients.Add(await ConnectAndEchoAsync());
        }

        Assert.Equal(2, _b.Accepted);
        Assert.Equal(8, _a.Accepted);
        foreach (var client in _clients)
        {
            await EchoAsync(client);
        }

        var status = await StatusAsync();
        Assert.Matches($@"{Regex(AddressB)}\s+DRAINING \(maintenance\)", status);
        Assert.Contains($"c::{AddressB}::kubegate_maintenance::drain", await _http.GetStringAsync(new Uri("/clusters", UriKind.Relative)), StringComparison.Ordinal);

        // Disable B: its two connections are closed gently (FIN, no reset) at quiet moments.
        await PostAsync("disable");
        await Wait.ForStatAsync(_server.Stats, "cluster.c.kubegate.endpoint_disabled_cx_closed", 2);
        var ended = await Task.WhenAll(_clients.Select(c => EndsWithinAsync(c, TimeSpan.FromSeconds(2))));
        Assert.Equal(2, ended.Count(e => e is { CleanEof: true }));
        Assert.DoesNotContain(ended, e => e is { Reset: true });
        Assert.Equal(0, Host(_b.EndPoint.Port).CxActive);
        Assert.Matches($@"{Regex(AddressB)}\s+DISABLED", await StatusAsync());

        // Enable B (through the CLI): round robin reaches it again.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.Equal(0, await EndpointCommand.RunAsync(_server.AdminEndPoint!.ToString(), "enable", "c", AddressB, stdout, stderr));
        Assert.Equal("c " + AddressB + ": enabled", stdout.ToString().Trim());
        for (var i = 0; i < 2; i++)
        {
            _clients.Add(await ConnectAndEchoAsync());
        }

        Assert.Equal(3, _b.Accepted);
        Assert.Matches($@"{Regex(AddressB)}\s+UP", await StatusAsync());
    }

    [Fact]
    public async Task CrossSiteFormPost_WithoutTheHeader_IsRefusedAndChangesNothing()
    {
        // A simple form POST (no preflight): same origin and no Sec-Fetch-Site, so only the custom header tells it apart.
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/kubegate/endpoint/disable?cluster=c&address={AddressB}", UriKind.Relative))
        {
            Content = new StringContent("x=1", Encoding.ASCII, "application/x-www-form-urlencoded"),
        };

        using var response = await _http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("X-Kubegate-Admin", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(Kubegate.Clusters.MaintenanceMode.None, Host(_b.EndPoint.Port).Maintenance);
    }

    [Fact]
    public async Task UnknownEndpoint_IsNotFound_NamingTheEndpoints()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        Assert.Equal(1, await EndpointCommand.RunAsync(_server.AdminEndPoint!.ToString(), "drain", "c", "127.0.0.1:1", stdout, stderr));

        Assert.Contains("has no endpoint 127.0.0.1:1", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains(AddressB, stderr.ToString(), StringComparison.Ordinal);
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private Kubegate.Clusters.EndpointState Host(int port)
    {
        Assert.True(_server.Clusters.TryGet("c", out var cluster));
        return cluster.AllHosts.Hosts.Single(h => h.EndPoint.Port == port);
    }

    private async Task<string> PostAsync(string action)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"/kubegate/endpoint/{action}?cluster=c&address={AddressB}", UriKind.Relative));
        request.Headers.Add("X-Kubegate-Admin", "1");
        using var response = await _http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, body);
        return body;
    }

    private async Task<string> StatusAsync()
    {
        var stdout = new StringWriter();
        Assert.Equal(0, await StatusCommand.RunAsync(_server.AdminEndPoint!.ToString(), stdout, new StringWriter()));
        return stdout.ToString();
    }

    private async Task<Socket> ConnectAndEchoAsync()
    {
        var client = await SocketTestExtensions.ConnectTcpAsync(_listener);
        await EchoAsync(client);
        return client;
    }

    private static async Task EchoAsync(Socket client)
    {
        await client.SendAllAsync("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await client.ReceiveExactlyAsync(1));
    }

    /// <summary>How the connection ended within <paramref name="wait"/>; null when it stayed open.</summary>
    private static async Task<ReceiveResult?> EndsWithinAsync(Socket client, TimeSpan wait)
    {
        var buffer = new byte[16];
        using var timeout = new CancellationTokenSource(wait);
        try
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return n == 0 ? new ReceiveResult([], SocketError.Success) : throw new InvalidOperationException("unexpected data");
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException e)
        {
            return new ReceiveResult([], e.SocketErrorCode);
        }
    }
}
