using System.Net;
using Kubegate.Configuration;
using Kubegate.Testing;

namespace Kubegate.Tests.Configuration;

public class ExampleConfigTests
{
    private static readonly string RepositoryRoot = TestPaths.RepositoryRoot;

    [Fact]
    public void Load_K8sApiProxyExample_LoadsWithoutProblems()
    {
        var result = Load("examples/k8s-api-proxy/envoy.yaml");

        ProblemAssert.Clean(result);
        var snapshot = result.Snapshot!;
        Assert.Equal(["k8s_cluster1", "k8s_cluster2"], snapshot.Listeners.Select(l => l.Name));
        Assert.Equal(6443, snapshot.Listeners[0].Address.Port);
        Assert.Equal(6444, snapshot.Listeners[1].Address.Port);
        Assert.All(snapshot.Listeners, l => Assert.Equal(2, l.TcpProxy.MaxConnectAttempts));
        var log = snapshot.Listeners[0].TcpProxy.AccessLog.Single();
        Assert.Equal("/dev/stdout", log.Path);
        Assert.StartsWith("[%START_TIME%] %REQ(:METHOD)%", log.TextFormat, StringComparison.Ordinal);
        Assert.EndsWith("%UPSTREAM_TRANSPORT_FAILURE_REASON%\n", log.TextFormat, StringComparison.Ordinal);

        Assert.Equal(IPAddress.Loopback, snapshot.Bootstrap.Admin!.Address!.Address);
        Assert.Equal(10000, snapshot.Bootstrap.Admin.Address.Port);

        var cluster1 = snapshot.FindCluster("k8s_cluster1")!;
        Assert.Equal(DiscoveryType.Eds, cluster1.Type);
        Assert.Equal(LbPolicy.LeastRequest, cluster1.LbPolicy);
        Assert.Equal(new SlowStartConfig(TimeSpan.FromSeconds(60)), cluster1.SlowStart);
        Assert.Equal(HealthCheckRole.Readiness, cluster1.Kubegate.HealthCheckRole);
        Assert.Equal(new RebalanceConfig(20, 5, TimeSpan.FromSeconds(120)), cluster1.Kubegate.Rebalance);
        Assert.True(cluster1.CloseConnectionsOnHostHealthFailure);
        Assert.Equal(50, cluster1.HealthyPanicThreshold);
        Assert.Equal(new TcpKeepaliveConfig(3, 300, 10), cluster1.TcpKeepalive);
        Assert.Equal(5u, cluster1.OutlierDetection!.Consecutive5xx);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster1.OutlierDetection.BaseEjectionTime);
        Assert.Equal(50u, cluster1.OutlierDetection.MaxEjectionPercent);
        var healthCheck = cluster1.HealthChecks.Single();
        Assert.Equal("/readyz", healthCheck.Http!.Path);
        Assert.Equal(TimeSpan.FromSeconds(3), healthCheck.Timeout);
        var tls = cluster1.SelectHealthCheckTransportSocket(healthCheck)!.Tls!;
        Assert.Equal("kubernetes.default.svc", tls.Sni);
        Assert.Equal(Path.Combine(RepositoryRoot, "examples/k8s-api-proxy/pki/cluster1-ca.crt"), tls.TrustedCaFile);
        Assert.Null(cluster1.TransportSocket);
        Assert.NotNull(snapshot.FindCluster("k8s_cluster2")!.HealthChecks.Single().Tcp);

        Assert.Equal(
            ["192.168.1.19:6443", "192.168.1.20:6443"],
            snapshot.Assignments["k8s_cluster1"].Endpoints.Select(e => e.Address.ToString()));
        Assert.Equal(["192.168.1.21:6443"], snapshot.Assignments["k8s_cluster2"].Endpoints.Select(e => e.Address.ToString()));
        Assert.Equal("1", snapshot.VersionInfo[Path.Combine(RepositoryRoot, "examples/k8s-api-proxy/lds.yaml")]);
    }

    [Fact]
    public void Load_DemoExample_LoadsWithoutProblems()
    {
        var result = Load("examples/demo/envoy.yaml");

        ProblemAssert.Clean(result);
        var snapshot = result.Snapshot!;
        Assert.Equal(["demo_cluster1", "demo_cluster2"], snapshot.Listeners.Select(l => l.Name));
        Assert.Equal(["127.0.0.1:6443", "127.0.0.1:6444"], snapshot.Listeners.Select(l => l.Address.ToString()));
        Assert.Equal(["demo_cluster1", "demo_cluster2"], snapshot.Listeners.Select(l => l.TcpProxy.Cluster!));
        Assert.All(snapshot.Listeners, l => Assert.Equal(2, l.TcpProxy.MaxConnectAttempts));
        Assert.All(snapshot.Clusters, c => Assert.Equal(TimeSpan.FromSeconds(1), c.ConnectTimeout));
        Assert.Equal("/readyz", snapshot.FindCluster("demo_cluster1")!.HealthChecks.Single().Http!.Path);
        Assert.NotNull(snapshot.FindCluster("demo_cluster2")!.HealthChecks.Single().Tcp);
        Assert.Equal(["127.0.0.1:16443", "127.0.0.1:16444"], snapshot.Assignments["demo_cluster1"].Endpoints.Select(e => e.Address.ToString()));
        Assert.Equal(["127.0.0.1:16445"], snapshot.Assignments["demo_cluster2"].Endpoints.Select(e => e.Address.ToString()));
    }

    [Fact]
    public void Load_K8sExampleFromItsOwnFolder_SaysToRunFromTheRepositoryRoot()
    {
        var loader = new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = Path.Combine(RepositoryRoot, "examples/k8s-api-proxy") });

        var result = loader.Load("envoy.yaml");

        var error = ProblemAssert.Error(result, "dynamic_resources.lds_config.path_config_source.path");
        Assert.Equal("paths must refer to an existing path in the system: 'examples/k8s-api-proxy/lds.yaml' does not exist", error.Message);
        Assert.Contains("relative paths resolve against the working directory", error.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExampleTwice_GivesEqualSnapshots()
    {
        var first = Load("examples/k8s-api-proxy/envoy.yaml").Snapshot!;
        var second = Load("examples/k8s-api-proxy/envoy.yaml").Snapshot!;

        Assert.Equal(first.Listeners, second.Listeners);
        Assert.Equal(first.Clusters, second.Clusters);
        Assert.Equal(first.Bootstrap, second.Bootstrap);
        Assert.Equal(first.Assignments["k8s_cluster1"], second.Assignments["k8s_cluster1"]);
    }

    private static ConfigLoadResult Load(string bootstrap) =>
        new ConfigLoader(new ConfigLoaderOptions { WorkingDirectory = RepositoryRoot }).Load(bootstrap);
}
