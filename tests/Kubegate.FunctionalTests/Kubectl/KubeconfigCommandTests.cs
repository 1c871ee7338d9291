using System.Security.Cryptography.X509Certificates;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Kubectl;

/// <summary>
/// <c>kubegate kubeconfig</c> (the real executable) on a fresh test cluster, and the real kubectl with what it wrote:
/// apiserver A (certificate with the usual names) behind listener l1, apiserver B (certificate with an IP address
/// only) behind l2.
/// </summary>
[Collection(KubectlCollection.Name)]
public sealed class KubeconfigCommandTests : IAsyncLifetime
{
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly TestPaths _paths = TestPaths.Create();
    private X509Certificate2 _client = null!;
    private X509Certificate2 _ipOnly = null!;
    private FakeApiServer _a = null!;
    private FakeApiServer _b = null!;
    private KubegateServer _proxy = null!;

    public async Task InitializeAsync()
    {
        _client = _ca.CreateClientCertificate("alice", "devs");
        _ipOnly = _ca.CreateServerCertificate(["127.0.0.1"], includeDefaultNames: false);
        _a = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-a", ServerCertificate = _ca.ServerCertificate, ClientCertificateAuthority = _ca.Certificate });
        _b = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-b", ServerCertificate = _ipOnly, ClientCertificateAuthority = _ca.Certificate });
        _proxy = new KubegateServer(TestConfig.Snapshot(
            [TestConfig.Listener("l1", "cluster1"), TestConfig.Listener("l2", "cluster2")],
            [TestConfig.Cluster("cluster1"), TestConfig.Cluster("cluster2")],
            [TestConfig.Assignment("cluster1", _a.EndPoint), TestConfig.Assignment("cluster2", _b.EndPoint)]));
        await _proxy.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        _client.Dispose();
        _ipOnly.Dispose();
        _ca.Dispose();
        _paths.Dispose();
    }

    [Fact]
    public async Task Output_WorksWithKubectlThroughKubegate_WithAnApiServerNameAsTlsServerName()
    {
        var user = Kubeconfig.Write(_paths.Combine("user", "config"), $"https://{_a.EndPoint}", _ca.Certificate, _client, name: "prod");
        var output = _paths.Combine("through-kubegate.yaml");

        await using var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", user, "--listener", _proxy.GetListenerEndPoint("l1").ToString(), "-o", output);

        Assert.True(process.ExitCode == 0, process.StandardError);
        var written = File.ReadAllText(output);
        Assert.Contains($"server: \"https://{_proxy.GetListenerEndPoint("l1")}\"", written, StringComparison.Ordinal);
        Assert.Contains("tls-server-name: \"kubernetes\"", written, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(output));
        }
        using var kubectl = new Testing.Kubectl(output);
        var result = await kubectl.RunAsync("get", "--raw", "/debug/whoami");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains(_client.Subject, result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("\"instance\":\"apiserver-a\"", result.StandardOutput.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(_proxy.Stats.GetValue("cluster.cluster1.upstream_cx_total") > 0);
    }

    [Fact]
    public async Task ListenerByName_AndCredentialFilesRelativeToTheKubeconfig_StayUsableFromElsewhere()
    {
        var userDirectory = _paths.Combine("home", ".kube");
        Directory.CreateDirectory(userDirectory);
        _ca.WriteCertificateAuthority(userDirectory);
        TestCertificateAuthority.WriteCertificate(_client, userDirectory, "alice");
        File.WriteAllText(Path.Combine(userDirectory, "config"), $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster:
                server: https://{_a.EndPoint}
                certificate-authority: ca.crt
            users:
            - name: alice
              user:
                client-certificate: alice.crt
                client-key: alice.key
            contexts:
            - name: other
              context:
                cluster: prod
                user: alice
                namespace: kube-system
            - name: prod
              context:
                cluster: prod
                user: alice
            current-context: other
            """);
        var config = WriteKubegateConfig(_proxy.GetListenerEndPoint("l1").Port);

        await using var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", Path.Combine(userDirectory, "config"), "--context", "prod", "-c", config, "--listener", "api");

        Assert.True(process.ExitCode == 0, process.StandardError);
        Assert.Contains("current-context: \"prod-kubegate\"", process.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"client-certificate: \"{Path.Combine(userDirectory, "alice.crt")}\"", process.StandardOutput, StringComparison.Ordinal);
        var elsewhere = _paths.Combine("elsewhere", "kubeconfig");
        Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
        File.WriteAllText(elsewhere, process.StandardOutput);
        using var kubectl = new Testing.Kubectl(elsewhere);
        var result = await kubectl.RunAsync("get", "ns");
        Assert.True(result.Succeeded, result.ToString());
        Assert.Contains("kube-system", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_PrintTheReason_AndWriteNothing()
    {
        var listener1 = _proxy.GetListenerEndPoint("l1").ToString();
        var noCa = _paths.Combine("no-ca.yaml");
        File.WriteAllText(noCa, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://{_a.EndPoint}
            users:
            - name: u
              user:
                token: abc
            contexts:
            - name: x
              context:
                cluster: c
                user: u
            current-context: x
            """);
        await using (var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", noCa, "--listener", listener1))
        {
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("cluster 'c' in " + noCa + " has no certificate-authority or certificate-authority-data", process.StandardError, StringComparison.Ordinal);
            Assert.Empty(process.StandardOutput);
        }

        var ipOnlyUser = Kubeconfig.Write(_paths.Combine("ip-only.yaml"), $"https://{_b.EndPoint}", _ca.Certificate, _client);
        await using (var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", ipOnlyUser, "--listener", _proxy.GetListenerEndPoint("l2").ToString()))
        {
            Assert.Equal(1, process.ExitCode);
            Assert.Contains("has no DNS name (IP addresses: 127.0.0.1), so there is no usable tls-server-name", process.StandardError, StringComparison.Ordinal);
            Assert.Empty(process.StandardOutput);
        }

        var user = Kubeconfig.Write(_paths.Combine("user.yaml"), $"https://{_a.EndPoint}", _ca.Certificate, _client);
        var existing = _paths.Combine("existing.yaml");
        File.WriteAllText(existing, "keep me\n");
        await using (var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", user, "--listener", listener1, "-o", existing))
        {
            Assert.Equal(1, process.ExitCode);
            Assert.Contains($"{existing} exists; add --force to overwrite it", process.StandardError, StringComparison.Ordinal);
            Assert.Equal("keep me\n", File.ReadAllText(existing));
        }

        await using (var process = await KubegateProcess.RunAsync(_paths.Directory, "kubeconfig", "--kubeconfig", user, "--listener", listener1, "-o", existing, "--force"))
        {
            Assert.True(process.ExitCode == 0, process.StandardError);
            Assert.Contains("tls-server-name: \"kubernetes\"", File.ReadAllText(existing), StringComparison.Ordinal);
        }
    }

    private string WriteKubegateConfig(int port)
    {
        var directory = _paths.Combine("kubegate");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "envoy.yaml"), $$"""
            node: {id: test, cluster: test}
            static_resources:
              listeners:
              - name: api
                address:
                  socket_address: {address: 0.0.0.0, port_value: {{port}} }
                filter_chains:
                - filters:
                  - name: envoy.filters.network.tcp_proxy
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                      stat_prefix: api
                      cluster: c1
              clusters:
              - name: c1
                type: STATIC
                load_assignment:
                  cluster_name: c1
                  endpoints:
                  - lb_endpoints:
                    - endpoint:
                        address:
                          socket_address: {address: 127.0.0.1, port_value: 6443}
            """);
        return Path.Combine(directory, "envoy.yaml");
    }
}
