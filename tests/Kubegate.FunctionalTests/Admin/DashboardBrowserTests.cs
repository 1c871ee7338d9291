using System.Diagnostics;
using System.Net;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Health;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;
using FakeApiServer = Kubegate.Testing.FakeApiServer;
using FakeApiServerOptions = Kubegate.Testing.FakeApiServerOptions;
using TestCertificateAuthority = Kubegate.Testing.TestCertificateAuthority;

namespace Kubegate.FunctionalTests.Admin;

/// <summary>
/// The dashboard in a real headless chromium: kubegate in process, two fake apiservers health-checked over HTTPS
/// (<c>/readyz</c>). Set <c>KUBEGATE_DASHBOARD_SCREENSHOT=&lt;file.png&gt;</c> to also save a 1280×800 screenshot.
/// </summary>
public sealed class DashboardBrowserTests
{
    [Fact]
    public async Task Dashboard_ShowsEndpoints_AndAFailingOneWithinARefresh()
    {
        var stopwatch = Stopwatch.StartNew();
        using var ca = TestCertificateAuthority.Create();
        await using var api0 = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-0", ServerCertificate = ca.ServerCertificate });
        await using var api1 = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-1", ServerCertificate = ca.ServerCertificate });
        var snapshot = TestConfig.Snapshot(
            [TestConfig.Listener("l", "c", p => p with { MaxConnectAttempts = 2 })],
            [HealthTestBed.HttpsReadyzCluster(ca.CertificatePem)],
            [TestConfig.Assignment("c", api0.EndPoint, api1.EndPoint)]);
        snapshot = snapshot with { Bootstrap = snapshot.Bootstrap with { Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } } };
        await using var server = new KubegateServer(snapshot);
        await server.StartAsync().DefaultTimeout();
        var admin = server.AdminEndPoint ?? throw new InvalidOperationException("admin did not start");

        await using var browser = await ChromiumBrowser.StartAsync(1280, 800);
        await browser.NavigateAsync($"http://127.0.0.1:{admin.Port}/");

        var row0 = $"document.querySelector('tr.endpoint[data-endpoint=\"{api0.EndPoint}\"]')";
        var row1 = $"document.querySelector('tr.endpoint[data-endpoint=\"{api1.EndPoint}\"]')";
        await browser.WaitForAsync(
            $"!!document.querySelector('[data-cluster=\"c\"]') && {row0}?.dataset.state === 'healthy' && {row1}?.dataset.state === 'healthy'",
            TimeSpan.FromSeconds(5));
        Assert.Equal("live", (await browser.EvaluateAsync("document.getElementById('conn').dataset.conn")).GetString());

        // Some traffic through the gateway, so the rates and the sparkline have something to show.
        using (var http = TestHttpClient.Create(ca.Certificate, timeout: TimeSpan.FromSeconds(5)))
        {
            var listener = server.GetListenerEndPoint("l");
            for (var i = 0; i < 20; i++)
            {
                using var response = await http.GetAsync($"https://{listener}/api/v1/namespaces");
                response.EnsureSuccessStatusCode();
            }
        }

        await api1.AbortAsync();
        await browser.WaitForAsync($"{row1}?.dataset.state === 'failing' && {row0}?.dataset.state === 'healthy'", HealthTestBed.DetectionBound() + TimeSpan.FromSeconds(2));
        var reason = (await browser.EvaluateAsync($"{row1}.querySelector('.reason').innerText")).GetString();
        Assert.False(string.IsNullOrWhiteSpace(reason) || reason == "–", $"no failure reason shown: '{reason}'");

        if (Environment.GetEnvironmentVariable("KUBEGATE_DASHBOARD_SCREENSHOT") is { Length: > 0 } path)
        {
            // A one-off for docs/dashboard.png: some seconds of uneven traffic so the sparkline has a shape.
            await GenerateTrafficAsync(ca, server.GetListenerEndPoint("l"), TimeSpan.FromSeconds(12));
            await File.WriteAllBytesAsync(path, await browser.CaptureScreenshotAsync());
            stopwatch.Restart();
        }

        Assert.Empty(browser.Errors);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Dashboard_CircuitBreakerOverflow_ClusterShownAsRefusing()
    {
        await using var echo = new TcpEchoServer();
        var snapshot = TestConfig.Simple([echo.EndPoint], cluster: c => c with { MaxConnections = 1 });
        snapshot = snapshot with { Bootstrap = snapshot.Bootstrap with { Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } } };
        await using var server = new KubegateServer(snapshot);
        await server.StartAsync().DefaultTimeout();
        var admin = server.AdminEndPoint ?? throw new InvalidOperationException("admin did not start");
        await using var browser = await ChromiumBrowser.StartAsync(1280, 800);
        await browser.NavigateAsync($"http://127.0.0.1:{admin.Port}/");
        const string Card = "document.querySelector('[data-cluster=\"c\"]')";
        await browser.WaitForAsync($"!!{Card}", TimeSpan.FromSeconds(5));
        Assert.False((await browser.EvaluateAsync($"{Card}.classList.contains('overflow')")).GetBoolean());

        // One connection holds the only slot; the second is refused (UO).
        using var held = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l"));
        await held.SendAllAsync("a"u8.ToArray());
        Assert.Equal("a"u8.ToArray(), await held.ReceiveExactlyAsync(1));
        using (var refused = await SocketTestExtensions.ConnectTcpAsync(server.GetListenerEndPoint("l")))
        {
            Assert.True((await refused.ReceiveUntilClosedAsync()).CleanEof);
        }

        Assert.Equal(1, server.Stats.GetValue("cluster.c.upstream_cx_overflow"));
        await browser.WaitForAsync($"{Card}.classList.contains('overflow')", TimeSpan.FromSeconds(5));
        var pill = (await browser.EvaluateAsync($"{Card}.querySelector('.overflow-state').innerText")).GetString();
        Assert.Equal("REFUSING CONNECTIONS", pill);
        Assert.Contains("1 refused over max_connections 1", (await browser.EvaluateAsync($"{Card}.querySelector('.cluster-meta').innerText")).GetString(), StringComparison.Ordinal);
        Assert.Empty(browser.Errors);
    }

    private static async Task GenerateTrafficAsync(TestCertificateAuthority ca, IPEndPoint listener, TimeSpan duration)
    {
        using var http = TestHttpClient.Create(ca.Certificate, timeout: TimeSpan.FromSeconds(5));

        // Traffic paced in bursts every 100 ms so the rate chart has a shape; this paces load, it waits for nothing.
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < duration && await pace.WaitForNextTickAsync())
        {
            var burst = 5 + (int)(20 * Math.Abs(Math.Sin(stopwatch.Elapsed.TotalSeconds / 1.7)));
            for (var i = 0; i < burst; i++)
            {
                using var response = await http.GetAsync($"https://{listener}/api/v1/namespaces");
            }
        }
    }
}
