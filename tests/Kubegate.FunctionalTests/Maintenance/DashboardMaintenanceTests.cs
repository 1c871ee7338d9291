using System.Net;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Health;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;
using FakeApiServer = Kubegate.Testing.FakeApiServer;
using FakeApiServerOptions = Kubegate.Testing.FakeApiServerOptions;
using TestCertificateAuthority = Kubegate.Testing.TestCertificateAuthority;

namespace Kubegate.FunctionalTests.Maintenance;

/// <summary>The dashboard's maintenance buttons and serving states, in a real headless chromium.</summary>
public sealed class DashboardMaintenanceTests
{
    [Fact]
    public async Task DrainButton_AsksForConfirmation_ThenDrainsAndShowsIt_EnableBringsItBack()
    {
        using var ca = TestCertificateAuthority.Create();
        await using var api0 = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-0", ServerCertificate = ca.ServerCertificate });
        await using var api1 = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-1", ServerCertificate = ca.ServerCertificate });
        var snapshot = TestConfig.Snapshot(
            [TestConfig.Listener("l", "c")],
            [HealthTestBed.HttpsReadyzCluster(ca.CertificatePem)],
            [TestConfig.Assignment("c", api0.EndPoint, api1.EndPoint)]);
        snapshot = snapshot with { Bootstrap = snapshot.Bootstrap with { Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } } };
        await using var server = new KubegateServer(snapshot);
        await server.StartAsync().DefaultTimeout();
        Assert.True(server.Clusters.TryGet("c", out var cluster));
        var host1 = cluster.AllHosts.Hosts.Single(h => h.EndPoint.Equals(api1.EndPoint));

        await using var browser = await ChromiumBrowser.StartAsync(1280, 800);
        await browser.NavigateAsync($"http://127.0.0.1:{server.AdminEndPoint!.Port}/");
        var row1 = $"document.querySelector('tr.endpoint[data-endpoint=\"{api1.EndPoint}\"]')";
        await browser.WaitForAsync($"{row1}?.querySelector('.serving')?.dataset.serving === 'UP'", TimeSpan.FromSeconds(5));

        // Cancelled at the confirmation: nothing changes.
        await browser.EvaluateAsync($"window.confirm = () => false; {row1}.querySelector('button.maint[data-action=\"drain\"]').click(); true");
        await browser.EvaluateAsync("new Promise(r => setTimeout(() => r(true), 300))");
        Assert.Equal(MaintenanceMode.None, host1.Maintenance);

        // Confirmed: drained, and the dashboard says so, with the button to enable it again.
        await browser.EvaluateAsync($"window.confirm = () => true; {row1}.querySelector('button.maint[data-action=\"drain\"]').click(); true");
        await browser.WaitForAsync($"{row1}?.querySelector('.serving')?.dataset.serving === 'DRAINING' && !!{row1}.querySelector('button.maint[data-action=\"enable\"]')", TimeSpan.FromSeconds(5));
        Assert.Equal(MaintenanceMode.Drain, host1.Maintenance);

        await browser.EvaluateAsync($"{row1}.querySelector('button.maint[data-action=\"enable\"]').click(); true");
        await browser.WaitForAsync($"{row1}?.querySelector('.serving')?.dataset.serving === 'UP'", TimeSpan.FromSeconds(5));
        Assert.Equal(MaintenanceMode.None, host1.Maintenance);
        Assert.Empty(browser.Errors);
    }
}
