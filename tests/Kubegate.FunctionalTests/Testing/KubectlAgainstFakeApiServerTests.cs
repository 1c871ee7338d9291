using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Kubegate.FunctionalTests.Kubectl;
using Kubegate.Testing;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.TestingRig;

/// <summary>The real kubectl straight against the apiserver double (no kubegate): proves the double is kube enough.</summary>
[Collection(KubectlCollection.Name)]
public sealed class KubectlAgainstFakeApiServerTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _output;
    private readonly TestPaths _paths;
    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly X509Certificate2 _client;
    private FakeApiServer _server = null!;
    private Kubegate.Testing.Kubectl _kubectl = null!;

    public KubectlAgainstFakeApiServerTests(ITestOutputHelper output)
    {
        _output = output;
        _paths = TestPaths.Create(nameof(KubectlAgainstFakeApiServerTests));
        _client = _ca.CreateClientCertificate("alice", "devs");
    }

    public async Task InitializeAsync()
    {
        _server = await FakeApiServer.StartAsync(new FakeApiServerOptions
        {
            Name = "apiserver-k",
            ServerCertificate = _ca.ServerCertificate,
            ClientCertificateAuthority = _ca.Certificate,
            WatchEventInterval = TimeSpan.FromMilliseconds(100),
        }).DefaultTimeout();
        _kubectl = new Kubegate.Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig"), $"https://{_server.EndPoint}", _ca.Certificate, _client));
    }

    public async Task DisposeAsync()
    {
        foreach (var request in _server.Requests)
        {
            _output.WriteLine($"{request} {request.Protocol} Accept: {request.Accept}");
        }

        _kubectl.Dispose();
        await _server.DisposeAsync();
        _client.Dispose();
        _ca.Dispose();
        _paths.Dispose();
    }

    [Fact]
    public async Task GetNamespaces_FreshDiscoveryCache_PrintsTable()
    {
        _server.AddNamespace("team-a");

        var result = await _kubectl.RunAsync("get", "ns").DefaultTimeout();

        Assert.True(result.Succeeded, result.ToString());
        var rows = result.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToList();
        Assert.Equal(["NAME", "STATUS", "AGE"], rows[0]);
        Assert.Equal(["default", "kube-public", "kube-system", "team-a"], rows.Skip(1).Select(r => r[0]));
        Assert.All(rows.Skip(1), r => Assert.Equal("Active", r[1]));

        // kubectl asked for a server-side Table (that is what it printed) after discovering "namespaces" through the
        // legacy /api and /api/v1 documents, although it asked for aggregated discovery first.
        Assert.Contains(_server.Requests, r => r.Path.StartsWith("/api/v1/namespaces", StringComparison.Ordinal) && r.Accept!.Contains("as=Table", StringComparison.Ordinal));
        Assert.Contains(_server.Requests, r => r.Path.StartsWith("/api/v1?", StringComparison.Ordinal) || r.Path == "/api/v1");
    }

    [Fact]
    public async Task GetNamespaceYaml_ExistingName_PrintsTheObject()
    {
        var result = await _kubectl.RunAsync("get", "namespace", "kube-system", "-o", "jsonpath={.kind}/{.metadata.name}/{.status.phase}").DefaultTimeout();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("Namespace/kube-system/Active", result.StandardOutput);
    }

    [Fact]
    public async Task GetRawReadyz_Ready_PrintsOk()
    {
        var result = await _kubectl.RunAsync("get", "--raw", "/readyz").DefaultTimeout();

        Assert.True(result.Succeeded, result.ToString());
        Assert.Equal("ok", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task GetRawReadyz_Fail500_FailsWithServerMessage()
    {
        _server.ReadyzMode = ReadyzMode.Fail500;

        var result = await _kubectl.RunAsync("get", "--raw", "/readyz").DefaultTimeout();

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("etcd failed", result.StandardError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, "HTTP/2")]
    [InlineData(true, "HTTP/1.1")]
    public async Task GetRawWatch_EventEvery100Ms_ReceivesEventsWhileItLives(bool disableHttp2, string protocol)
    {
        if (disableHttp2)
        {
            // client-go's switch for HTTP/1.1 only: the watch is then one chunked response.
            _kubectl.Environment["DISABLE_HTTP2"] = "true";
        }

        await using var watch = _kubectl.Start("get", "--raw", "/api/v1/namespaces?watch=true");
        await watch.WaitForLinesAsync(6).DefaultTimeout();

        Assert.False(watch.Exited.IsCompleted, watch.StandardError);
        var events = watch.LinesSeen.Take(6).Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal(["ADDED", "ADDED", "ADDED", "MODIFIED", "MODIFIED", "MODIFIED"], events.Select(e => e.GetProperty("type").GetString()));
        Assert.All(events, e => Assert.Equal("Namespace", e.GetProperty("object").GetProperty("kind").GetString()));
        var versions = events.Skip(3).Select(e => long.Parse(e.GetProperty("object").GetProperty("metadata").GetProperty("resourceVersion").GetString()!, CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(protocol, Assert.Single(_server.Requests, r => r.Path.Contains("watch=true", StringComparison.Ordinal)).Protocol);
    }

    [Fact]
    public async Task GetNamespacesWatch_TableWatch_PrintsARowPerEvent()
    {
        await using var watch = _kubectl.Start("get", "ns", "--watch");

        // Header, three namespaces, then the 100 ms MODIFIED events of "default".
        await watch.WaitForLinesAsync(7).DefaultTimeout();

        var lines = watch.LinesSeen;
        Assert.StartsWith("NAME", lines[0], StringComparison.Ordinal);
        Assert.All(lines.Skip(4).Take(3), line => Assert.StartsWith("default ", line, StringComparison.Ordinal));
        Assert.Contains(_server.Requests, r => r.Path.Contains("watch=true", StringComparison.Ordinal) && r.Accept!.Contains("as=Table", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetRawWhoAmI_ClientCertificate_ServerSeesIssuedSubjectOverHttp2()
    {
        var result = await _kubectl.RunAsync("get", "--raw", "/debug/whoami").DefaultTimeout();

        Assert.True(result.Succeeded, result.ToString());
        using var whoami = JsonDocument.Parse(result.StandardOutput);
        Assert.Equal("CN=alice, O=devs", whoami.RootElement.GetProperty("clientSubject").GetString());
        Assert.Equal("HTTP/2", whoami.RootElement.GetProperty("protocol").GetString());
        Assert.Equal("apiserver-k", whoami.RootElement.GetProperty("instance").GetString());
        Assert.All(_server.ClientSubjects, subject => Assert.Equal(_client.Subject, subject));
        Assert.NotEmpty(_server.ClientSubjects);
    }

    [Fact]
    public async Task GetNamespaces_NoClientCertificate_FailsUnauthorized()
    {
        // A token only so that kubectl does not prompt for a username; the double ignores it, so the request is anonymous.
        using var anonymous = new Kubegate.Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-anonymous"), $"https://{_server.EndPoint}", _ca.Certificate, token: "not-a-real-token"));

        var result = await anonymous.RunAsync("get", "ns").DefaultTimeout();

        Assert.False(result.Succeeded, result.ToString());
        // Recent kubectl prints "(the server has asked for the client to provide credentials)" for a 401 in discovery.
        Assert.Contains("You must be logged in to the server", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(_server.ClientSubjects);
        Assert.Contains(_server.Requests, r => r.StatusCode == 401 && r.ClientSubject is null);
    }

    [Fact]
    public async Task GetNamespaces_ClientCertificateFromAnotherCa_FailsUnauthorized()
    {
        using var otherCa = TestCertificateAuthority.Create("other-ca");
        using var stranger = otherCa.CreateClientCertificate("mallory", "system:masters");
        using var kubectl = new Kubegate.Testing.Kubectl(Kubeconfig.Write(_paths.Combine("kubeconfig-stranger"), $"https://{_server.EndPoint}", _ca.Certificate, stranger));

        var result = await kubectl.RunAsync("get", "ns").DefaultTimeout();

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains("You must be logged in to the server", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(_server.ClientSubjects);
        Assert.Contains("CN=mallory, O=system:masters", _server.RejectedClientSubjects);
        Assert.All(_server.Requests, r => Assert.Equal(401, r.StatusCode));
    }

    [Fact]
    public async Task GetRawReadyz_ServerAborted_FailsConnectionRefused()
    {
        await _server.AbortAsync().DefaultTimeout();

        var result = await _kubectl.RunAsync("get", "--raw", "/readyz").DefaultTimeout();

        Assert.False(result.Succeeded, result.ToString());
        Assert.Contains($"The connection to the server {_server.EndPoint} was refused", result.StandardError, StringComparison.Ordinal);
    }
}
