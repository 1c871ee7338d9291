using Kubegate.Testing;
using Kubegate.Clusters;
using Kubegate.FunctionalTests.Kubectl;
using Kubeconfig = Kubegate.Testing.Kubeconfig;
using TestCertificateAuthority = Kubegate.Testing.TestCertificateAuthority;

namespace Kubegate.FunctionalTests.Health;

/// <summary>The real kubectl through kubegate while one of two health-checked apiservers dies.</summary>
[Collection(KubectlCollection.Name)]
public sealed class KubectlFailoverTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kubegate-hc-kubectl-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task KubectlGetNamespaces_OneOfTwoApiserversStopped_KeepsSucceeding()
    {
        var ca = TestCertificateAuthority.Create();
        using var user = ca.CreateClientCertificate("alice", "devs");
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2, apiserver: (_, o) => o.ClientCertificateAuthority = ca.Certificate, ca: ca);
        var kubeconfig = Kubeconfig.Write(Path.Combine(_dir, "kubeconfig"), $"https://{bed.ListenerEndPoint}", bed.Ca.Certificate, user);
        using var kubectl = new Testing.Kubectl(kubeconfig);

        for (var i = 0; i < 6; i++)
        {
            if (i == 2)
            {
                await bed.ApiServers[1].AbortAsync();
            }

            var result = await kubectl.RunAsync("get", "namespaces", "-o", "name");
            Assert.True(result.Succeeded, result.ToString());
            Assert.Contains("namespace/default", result.StandardOutput, StringComparison.Ordinal);
        }

        await bed.WaitForAsync(() => bed.Host(1).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
    }
    [Fact]
    public async Task KubectlWatch_ServingApiserverFailsChecks_ClosedThenReestablishedOnTheOther()
    {
        var ca = TestCertificateAuthority.Create();
        using var user = ca.CreateClientCertificate("alice", "devs");
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 2,
            cluster: c => c with { CloseConnectionsOnHostHealthFailure = true },
            apiserver: (_, o) =>
            {
                o.ClientCertificateAuthority = ca.Certificate;
                o.WatchEventInterval = TimeSpan.FromMilliseconds(100);
            },
            ca: ca);
        var kubeconfig = Kubeconfig.Write(Path.Combine(_dir, "kubeconfig"), $"https://{bed.ListenerEndPoint}", bed.Ca.Certificate, user);
        using var kubectl = new Testing.Kubectl(kubeconfig);

        await using (var watch = kubectl.Start("get", "--raw", "/api/v1/namespaces?watch=true"))
        {
            await watch.WaitForLinesAsync(5);

            // The proxied watch is the only proxied connection (health checks do not go through the proxy).
            var serving = bed.Host(0).CxActive == 1 ? 0 : 1;
            Assert.Equal(1, bed.Host(serving).CxActive);

            // The apiserver keeps the TCP connection open but stops being ready: only the proxy can end the watch.
            bed.ApiServers[serving].ReadyzMode = Testing.ReadyzMode.Fail500;
            await watch.Exited.DefaultTimeout();
            Assert.True(bed.Host(serving).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

            // kubectl sees the close before the proxy has finished accounting for it.
            await Infrastructure.Wait.UntilAsync(() => bed.Host(serving).CxActive == 0);

            // A client that re-establishes its watch (as kubectl's reflectors do) lands on the healthy apiserver.
            await using var again = kubectl.Start("get", "--raw", "/api/v1/namespaces?watch=true");
            await again.WaitForLinesAsync(5);
            Assert.Equal(1, bed.Host(1 - serving).CxActive);
            Assert.Equal(0, bed.Host(serving).CxActive);
        }
    }
}
