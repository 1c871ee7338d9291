using System.Net;
using System.Security.Cryptography.X509Certificates;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.FunctionalTests.Kubectl;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Sni;

/// <summary>
/// The real kubectl reaches two clusters through one kubegate port: each kubeconfig sets <c>tls-server-name</c>,
/// which kubectl sends as SNI (and checks the apiserver certificate against), and the SNI selects the cluster.
/// </summary>
[Collection(KubectlCollection.Name)]
public sealed class KubectlOnePortTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly TestPaths _paths = TestPaths.Create();
    private X509Certificate2 _client = null!;
    private X509Certificate2 _serverCertificate = null!;
    private FakeApiServer _one = null!;
    private FakeApiServer _two = null!;
    private KubegateServer _proxy = null!;

    public async Task InitializeAsync()
    {
        _client = _ca.CreateClientCertificate("alice", "devs");
        _serverCertificate = _ca.CreateServerCertificate(["one.clusters.test", "two.clusters.test"]);
        _one = await StartApiServerAsync("apiserver-one");
        _two = await StartApiServerAsync("apiserver-two");
        _proxy = new KubegateServer(TestConfig.Snapshot(
            [SniConfig.Listener("shared", [SniConfig.Chain("one", "one", "one.clusters.test"), SniConfig.Chain("two", "two", "two.clusters.test")])],
            [TestConfig.Cluster("one"), TestConfig.Cluster("two")],
            [TestConfig.Assignment("one", _one.EndPoint), TestConfig.Assignment("two", _two.EndPoint)]));
        await _proxy.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _one.DisposeAsync();
        await _two.DisposeAsync();
        _serverCertificate.Dispose();
        _client.Dispose();
        _ca.Dispose();
        _paths.Dispose();
    }

    [Fact]
    public async Task Kubectl_WithTlsServerName_ReachesEachClusterThroughOnePort()
    {
        var server = $"https://{_proxy.GetListenerEndPoint("shared")}";
        using var kubectlOne = new Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-one"), server, _ca.Certificate, _client, tlsServerName: "one.clusters.test"));
        using var kubectlTwo = new Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-two"), server, _ca.Certificate, _client, tlsServerName: "two.clusters.test"));

        var one = await kubectlOne.RunAsync("get", "--raw", "/version");
        Assert.True(one.Succeeded, one.ToString());
        Assert.True(_one.RequestCount > 0);
        Assert.Equal(0, _two.RequestCount);

        var two = await kubectlTwo.RunAsync("get", "ns");
        Assert.True(two.Succeeded, two.ToString());
        Assert.Contains("kube-system", two.StandardOutput, StringComparison.Ordinal);
        Assert.True(_two.RequestCount > 0);

        Assert.True(_proxy.Stats.GetValue("tcp.one.downstream_cx_total") > 0);
        Assert.True(_proxy.Stats.GetValue("tcp.two.downstream_cx_total") > 0);
        Assert.Equal(0, _proxy.Stats.GetValue("listener.shared.no_filter_chain_match"));
    }

    /// <summary>
    /// <c>kubegate kubeconfig</c> on the shared port: from a kubeconfig that talks to apiserver two directly by name, it
    /// asks the shared port with that name as SNI (so the right chain answers) and writes it as <c>tls-server-name</c>,
    /// and kubectl with the result reaches cluster two.
    /// </summary>
    [Fact]
    public async Task KubeconfigCommand_OnTheSharedPort_KeepsTheNameThatSelectsTheCluster()
    {
        var direct = Kubeconfig.Write(_paths.Combine("kubeconfig-direct-two"), $"https://{_two.EndPoint}", _ca.Certificate, _client, tlsServerName: "two.clusters.test");
        var output = _paths.Combine("kubeconfig-via-kubegate-two");

        await using var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", direct, "--listener", _proxy.GetListenerEndPoint("shared").ToString(), "-o", output);

        Assert.True(process.ExitCode == 0, process.StandardError);
        Assert.Contains("tls-server-name: \"two.clusters.test\"", File.ReadAllText(output), StringComparison.Ordinal);
        using var kubectl = new Testing.Kubectl(output);
        var result = await kubectl.RunAsync("get", "--raw", "/version");
        Assert.True(result.Succeeded, result.ToString());
        Assert.True(_two.RequestCount > 0);
        Assert.Equal(0, _one.RequestCount);
    }

    [Fact]
    public async Task Kubectl_WithoutTlsServerName_MatchesNoChainAndFails()
    {
        var server = $"https://{_proxy.GetListenerEndPoint("shared")}";
        using var kubectl = new Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-plain"), server, _ca.Certificate, _client));

        var result = await kubectl.RunAsync("get", "--raw", "/version", "--request-timeout=5s");

        // kubectl sends no SNI for an IP address; with no default chain kubegate closes the connection (NR).
        Assert.False(result.Succeeded, result.ToString());
        Assert.True(_proxy.Stats.GetValue("listener.shared.no_filter_chain_match") > 0);
        Assert.Equal(0, _one.RequestCount + _two.RequestCount);
    }

    private Task<FakeApiServer> StartApiServerAsync(string name) => FakeApiServer.StartAsync(new FakeApiServerOptions
    {
        Name = name,
        Address = IPAddress.Loopback,
        ServerCertificate = _serverCertificate,
        ClientCertificateAuthority = _ca.Certificate,
    });
}
