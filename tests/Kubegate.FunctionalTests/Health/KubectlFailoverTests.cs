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
}
