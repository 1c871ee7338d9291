using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Health;
using ReadyzMode = Kubegate.Testing.ReadyzMode;

namespace Kubegate.FunctionalTests.Health;

/// <summary>The health checks of the shipped example configs, run against fake apiservers.</summary>
public class ExampleHealthCheckTests
{
    [Fact]
    public async Task DemoCluster1Check_NoTrustedCa_ChecksReadyzWithoutVerifyingTheCertificate()
    {
        var demo = LoadCluster("examples/demo/envoy.yaml", "demo_cluster1");
        var fast = demo with
        {
            HealthChecks = [demo.HealthChecks[0] with { Interval = TimeSpan.FromSeconds(HealthTestBed.Interval), NoTrafficInterval = TimeSpan.FromSeconds(HealthTestBed.Interval) }],
        };
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2, cluster: _ => fast with { Name = "c" });

        Assert.All(bed.Cluster.AllHosts.Hosts, h => Assert.Equal(HealthFlags.None, h.HealthFlags));
        Assert.Contains(bed.ApiServers[0].Requests, r => r.Path == "/readyz");
        bed.ApiServers[1].ReadyzMode = ReadyzMode.Fail500;
        await bed.WaitForAsync(() => bed.Host(1).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
    }

    [Fact]
    public async Task K8sCluster1Check_PlaceholderCa_FailsWithChainError()
    {
        var example = LoadCluster("examples/k8s-api-proxy/envoy.yaml", "k8s_cluster1");
        var check = example.HealthChecks[0] with { Timeout = TimeSpan.FromSeconds(HealthTestBed.CheckTimeout) };
        await using var bed = await HealthTestBed.StartAsync(apiservers: 1, cluster: _ => example with { Name = "c", HealthChecks = [check] });

        var last = HostHealthInfo.For(bed.Host(0)).LastCheck!;
        Assert.False(last.Succeeded);
        Assert.Contains("does not chain to the trusted CA", last.Reason, StringComparison.Ordinal);

        // Both endpoints of a real cluster would fail the same way: panic keeps the traffic flowing.
        Assert.True(bed.Cluster.InPanic);
    }

    private static ClusterConfig LoadCluster(string bootstrap, string name)
    {
        var result = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = KubegateProcess.RepositoryRoot }).Load(bootstrap);
        Assert.True(result.Succeeded, string.Join("\n", result.Problems));
        return result.Snapshot!.FindCluster(name)!;
    }
}
