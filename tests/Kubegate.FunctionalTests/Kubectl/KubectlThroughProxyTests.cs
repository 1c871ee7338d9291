using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Kubectl;

/// <summary>
/// The real kubectl through kubegate to kube-apiserver doubles (HTTPS, HTTP/2, client-certificate auth):
/// cluster 1 has apiservers A and B behind one listener, cluster 2 has C behind another.
/// </summary>
[Collection(KubectlCollection.Name)]
public sealed class KubectlThroughProxyTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly TestPaths _paths = TestPaths.Create();
    private X509Certificate2 _client = null!;
    private FakeApiServer _a = null!;
    private FakeApiServer _b = null!;
    private FakeApiServer _c = null!;
    private KubegateServer _proxy = null!;
    private Testing.Kubectl _kubectl1 = null!;
    private Testing.Kubectl _kubectl2 = null!;

    public async Task InitializeAsync()
    {
        _client = _ca.CreateClientCertificate("alice", "devs");
        _a = await StartApiServerAsync("apiserver-a");
        _b = await StartApiServerAsync("apiserver-b");
        _c = await StartApiServerAsync("apiserver-c");
        var snapshot = TestConfig.Snapshot(
            [TestConfig.Listener("l1", "cluster1"), TestConfig.Listener("l2", "cluster2")],
            [TestConfig.Cluster("cluster1"), TestConfig.Cluster("cluster2")],
            [TestConfig.Assignment("cluster1", _a.EndPoint, _b.EndPoint), TestConfig.Assignment("cluster2", _c.EndPoint)]);
        _proxy = new KubegateServer(snapshot);
        await _proxy.StartAsync();
        _kubectl1 = new Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-1"), $"https://{_proxy.GetListenerEndPoint("l1")}", _ca.Certificate, _client));
        _kubectl2 = new Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-2"), $"https://{_proxy.GetListenerEndPoint("l2")}", _ca.Certificate, _client));
    }

    public async Task DisposeAsync()
    {
        _kubectl1.Dispose();
        _kubectl2.Dispose();
        await _proxy.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _c.DisposeAsync();
        _client.Dispose();
        _ca.Dispose();
        _paths.Dispose();
    }

    [Fact]
    public async Task GetNamespaces_ThroughEachListener_ListsTheClustersNamespaces()
    {
        var cluster1 = await _kubectl1.RunAsync("get", "ns");
        var cluster2 = await _kubectl2.RunAsync("get", "ns");

        Assert.True(cluster1.Succeeded, cluster1.ToString());
        Assert.Contains("kube-system", cluster1.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("default", cluster1.StandardOutput, StringComparison.Ordinal);
        Assert.True(cluster2.Succeeded, cluster2.ToString());
        Assert.Contains("kube-system", cluster2.StandardOutput, StringComparison.Ordinal);
        Assert.True(_a.RequestCount + _b.RequestCount > 0);
        Assert.True(_c.RequestCount > 0);
        Assert.True(_proxy.Stats.GetValue("cluster.cluster1.upstream_cx_total") > 0);
        Assert.True(_proxy.Stats.GetValue("cluster.cluster2.upstream_cx_total") > 0);
    }

    [Fact]
    public async Task GetRawReadyz_ThroughProxy_PrintsOk()
    {
        var result = await _kubectl1.RunAsync("get", "--raw", "/readyz");

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("ok", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task ClientCertificate_ThroughProxy_ArrivesUnchangedAtTheApiServer()
    {
        var result = await _kubectl2.RunAsync("get", "--raw", "/debug/whoami");

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains(_client.Subject, result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(_client.Subject, _c.ClientSubjects);
        Assert.All(_c.Requests, r => Assert.Equal(_client.Subject, r.ClientSubject));
    }

    [Fact]
    public async Task Http2_ThroughProxy_IsNegotiatedEndToEnd()
    {
        var result = await _kubectl2.RunAsync("get", "--raw", "/debug/whoami");

        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("\"protocol\":\"HTTP/2\"", result.StandardOutput.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RepeatedCalls_ThroughOneListener_SpreadOverBothApiServers()
    {
        for (var i = 0; i < 4; i++)
        {
            var result = await _kubectl1.RunAsync("get", "--raw", "/version");
            Assert.True(result.Succeeded, result.ToString());
        }

        // Each kubectl run opens its own connection; round robin alternates them between A and B.
        Assert.True(_a.TlsConnectionCount >= 2, $"A saw {_a.TlsConnectionCount} TLS connections");
        Assert.True(_b.TlsConnectionCount >= 2, $"B saw {_b.TlsConnectionCount} TLS connections");
    }

    [Fact]
    public async Task Watch_ThroughProxy_LivesThroughSeveralEvents()
    {
        _c.WatchEventInterval = TimeSpan.FromMilliseconds(100);
        await using var watch = _kubectl2.Start("get", "--raw", "/api/v1/namespaces?watch=true");

        // The existing namespaces arrive as ADDED, then one MODIFIED every 100 ms on the same long-lived response.
        await watch.WaitForLinesAsync(8);

        Assert.All(watch.LinesSeen.Take(8), line => Assert.Contains("\"type\":", line, StringComparison.Ordinal));
        Assert.Contains(watch.LinesSeen, line => line.Contains("MODIFIED", StringComparison.Ordinal));
        Assert.Equal(1, _proxy.Stats.GetValue("cluster.cluster2.upstream_cx_active"));
    }

    private Task<FakeApiServer> StartApiServerAsync(string name) => FakeApiServer.StartAsync(new FakeApiServerOptions
    {
        Name = name,
        Address = IPAddress.Loopback,
        ServerCertificate = _ca.ServerCertificate,
        ClientCertificateAuthority = _ca.Certificate,
    });
}
