using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.FunctionalTests.Reload;
using Kubegate.Testing;
using Xunit.Abstractions;

namespace Kubegate.FunctionalTests.Discovery;

/// <summary>
/// Apiserver discovery end to end: three test apiservers share one <c>default/kubernetes</c> (list, watch,
/// resourceVersion, 410 Gone); kubegate runs in-process with its file reload, reads them through its own listener
/// and writes the cluster's EDS file, which the reload applies.
/// </summary>
public sealed class ApiServerDiscoveryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan MoveWithin = TimeSpan.FromSeconds(2);

    private readonly TestCertificateAuthority _ca = TestCertificateAuthority.Create();
    private readonly string _directory = Directory.CreateTempSubdirectory("kubegate-discovery-").FullName;
    private readonly List<FakeApiServer> _servers = [];
    private ApiServerEndpointStore _store = null!;
    private X509Certificate2 _client = null!;
    private FakeApiServer _a = null!;
    private FakeApiServer _b = null!;
    private FakeApiServer _c = null!;
    private ReloadTestHost? _host;

    private string EdsPath => Path.Combine(_directory, "eds_c1.yaml");

    private string Prefix => "discovery.c1.";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        _client?.Dispose();
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task AddingAndRemovingAnApiServer_MovesTrafficWithinTwoSeconds_AndTheFileMatches()
    {
        await StartAsync();
        await WaitForHostsAsync(_a, _b);

        var added = Stopwatch.StartNew();
        _store.Set(_a.EndPoint, _b.EndPoint, _c.EndPoint);
        await Wait.UntilAsync(() => HostsAre(_a, _b, _c), MoveWithin);
        added.Stop();
        Assert.True(added.Elapsed < MoveWithin, $"took {added.Elapsed}");
        Assert.Equal(Addresses(_a, _b, _c), FileAddresses());
        Assert.Contains(_c.Name, await InstancesAsync(6));

        var removed = Stopwatch.StartNew();
        _store.Set(_a.EndPoint, _c.EndPoint);
        await Wait.UntilAsync(() => HostsAre(_a, _c), MoveWithin);
        removed.Stop();
        Assert.True(removed.Elapsed < MoveWithin, $"took {removed.Elapsed}");
        output.WriteLine($"added in {added.Elapsed.TotalMilliseconds:0} ms, removed in {removed.Elapsed.TotalMilliseconds:0} ms (change to cluster membership)");
        Assert.Equal(Addresses(_a, _c), FileAddresses());
        Assert.DoesNotContain(_b.Name, await InstancesAsync(6));
        Assert.Equal(3, _host!.Server.Stats.GetValue(Prefix + "update_success"));
    }

    [Fact]
    public async Task WatchExpired_410Gone_ListsAgainAndKeepsFollowing()
    {
        await StartAsync();
        await WaitForHostsAsync(_a, _b);

        _store.ExpireHistory();
        await Wait.UntilAsync(() => _host!.Server.Stats.GetValue(Prefix + "relist") == 1);
        _store.Set(_b.EndPoint);
        await WaitForHostsAsync(_b);

        var lists = _servers.SelectMany(s => s.Requests)
            .Count(r => r.Path.StartsWith("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?", StringComparison.Ordinal) && !r.Path.Contains("watch=1", StringComparison.Ordinal));
        Assert.Equal(2, lists);
        var watches = _servers.SelectMany(s => s.Requests).Where(r => r.Path.Contains("watch=1", StringComparison.Ordinal)).ToList();
        Assert.All(watches, w => Assert.Contains("resourceVersion=", w.Path, StringComparison.Ordinal));
        Assert.Equal(Addresses(_b), FileAddresses());
    }

    [Fact]
    public async Task ApiServerHoldingTheWatchDies_WatchResumesThroughTheListenerOnAnother_FromTheLastResourceVersion()
    {
        await StartAsync();
        await WaitForHostsAsync(_a, _b);
        var version = _store.ResourceVersion;
        await Wait.UntilAsync(() => WatchesOn(_a).Count + WatchesOn(_b).Count == 1);
        var (dying, surviving) = WatchesOn(_a).Count == 1 ? (_a, _b) : (_b, _a);

        await dying.AbortAsync();
        await Wait.UntilAsync(() => WatchesOn(surviving).Count == 1);

        Assert.EndsWith("&resourceVersion=" + version, WatchesOn(surviving)[0], StringComparison.Ordinal);
        _store.Set(surviving.EndPoint);
        await WaitForHostsAsync(surviving);
        Assert.Equal(1, _servers.SelectMany(s => s.Requests).Count(r => r.Path.StartsWith("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?", StringComparison.Ordinal) && !r.Path.Contains("watch=1", StringComparison.Ordinal)));
        Assert.True(_host!.Server.Stats.GetValue(Prefix + "request_failure") >= 1);
    }

    [Fact]
    public async Task EmptyOrUnreachableList_IsRefused_AndTheLastGoodListKept()
    {
        await StartAsync();
        await WaitForHostsAsync(_a, _b);
        var good = File.ReadAllText(EdsPath);

        _store.Set();
        await Wait.UntilAsync(() => _host!.Server.Stats.GetValue(Prefix + "update_rejected") == 1);
        Assert.Contains("no ready apiserver", _host!.Server.Discovery.Statuses.Single().Problem, StringComparison.Ordinal);

        var dead = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        _store.Set(dead);
        await Wait.UntilAsync(() => _host.Server.Stats.GetValue(Prefix + "update_rejected") == 2);
        Assert.Contains("accepts a connection", _host.Server.Discovery.Statuses.Single().Problem, StringComparison.Ordinal);

        Assert.Equal(good, File.ReadAllText(EdsPath));
        Assert.True(HostsAre(_a, _b));
        Assert.Contains(_host.Logs.Lines, l => l.Contains("apiserver list refused", StringComparison.Ordinal));
        var dashboard = Kubegate.Admin.DashboardEndpoints.State(_host.Server, Kubegate.Admin.ServerState.Live, TimeSpan.Zero, DateTimeOffset.UtcNow);
        Assert.Contains("cluster c1: discovery: apiserver list refused: none of " + dead, JsonDocument.Parse(dashboard.Body).RootElement.GetProperty("warnings")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_WithEveryApiServerDown_StartsFromThePersistedFile()
    {
        await StartAsync();
        _store.Set(_a.EndPoint, _c.EndPoint);
        await WaitForHostsAsync(_a, _c);
        var persisted = File.ReadAllText(EdsPath);
        await _host!.DisposeAsync();
        _host = null;
        foreach (var server in _servers)
        {
            await server.AbortAsync();
        }

        _host = new ReloadTestHost(_directory);
        await _host.StartAsync();

        Assert.True(HostsAre(_a, _c));
        await Wait.UntilAsync(() => _host.Server.Stats.GetValue(Prefix + "request_failure") >= 1);
        Assert.Equal(persisted, File.ReadAllText(EdsPath));
        Assert.StartsWith("cannot read default/kubernetes", _host.Server.Discovery.Statuses.Single().Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutEndpointSlices_TheEndpointsObjectIsUsed_WithCredentialsFromAKubeconfig()
    {
        await StartAsync(serveEndpointSlices: false, kubeconfig: true);
        await WaitForHostsAsync(_a, _b);

        _store.Set(_c.EndPoint);
        await WaitForHostsAsync(_c);
        Assert.Equal(Addresses(_c), FileAddresses());
        Assert.Contains(_servers.SelectMany(s => s.Requests), r => r.Path.StartsWith("/api/v1/namespaces/default/endpoints?", StringComparison.Ordinal) && r.StatusCode == 200);
    }

    private async Task StartAsync(bool serveEndpointSlices = true, bool kubeconfig = false)
    {
        _client = _ca.CreateClientCertificate("kubegate-discovery", "system:masters");
        _store = new ApiServerEndpointStore();
        foreach (var name in (string[])["apiserver-a", "apiserver-b", "apiserver-c"])
        {
            _servers.Add(await FakeApiServer.StartAsync(new FakeApiServerOptions
            {
                Name = name,
                ServerCertificate = _ca.ServerCertificate,
                ClientCertificateAuthority = _ca.Certificate,
                ApiServerEndpoints = _store,
                ServeEndpointSlices = serveEndpointSlices,
            }));
        }

        (_a, _b, _c) = (_servers[0], _servers[1], _servers[2]);
        _store.Set(_a.EndPoint, _b.EndPoint);

        _ca.WriteCertificateAuthority(_directory);
        TestCertificateAuthority.WriteCertificate(_client, _directory, "client");

        // The kubeconfig's server is not used: discovery always goes through the cluster's listener.
        Kubeconfig.Write(Path.Combine(_directory, "discovery.kubeconfig"), "https://192.0.2.1:6443", _ca.Certificate, _client);
        var credentials = kubeconfig
            ? "{kubeconfig: discovery.kubeconfig}"
            : "{ca_file: ca.crt, certificate_file: client.crt, private_key_file: client.key}";
        _host = new ReloadTestHost(_directory);
        _host.WriteInPlace("envoy.yaml", ReloadConfig.Bootstrap);
        _host.WriteInPlace("lds.yaml", ReloadConfig.Lds("1", ReloadConfig.Listener("l1", "c1")));
        _host.WriteInPlace("cds.yaml", $$"""
            version_info: "1"
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: EDS
              connect_timeout: 1s
              eds_cluster_config:
                eds_config:
                  path_config_source:
                    path: eds_c1.yaml
              metadata:
                filter_metadata:
                  kubegate:
                    discovery: {{credentials}}
            """);

        // Written by hand, as before discovery: only A. Discovery replaces it with what default/kubernetes says.
        _host.WriteInPlace("eds_c1.yaml", ReloadConfig.Eds("c1", "1", [_a.EndPoint]));
        await _host.StartAsync();
    }

    /// <summary>The watch requests <paramref name="server"/> answered (logged once their response started).</summary>
    private static List<string> WatchesOn(FakeApiServer server) =>
        [.. server.Requests.Where(r => r.Path.Contains("watch=1", StringComparison.Ordinal) && r.StatusCode == 200).Select(r => r.Path)];

    private Task WaitForHostsAsync(params FakeApiServer[] servers) => Wait.UntilAsync(() => HostsAre(servers), Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, $"hosts {string.Join(", ", servers.Select(s => s.Name))}");

    private bool HostsAre(params FakeApiServer[] servers) =>
        _host!.Server.Clusters.TryGet("c1", out var cluster)
        && cluster.AllHosts.Hosts.Select(h => h.EndPoint).Order(EndPointComparer.Instance).SequenceEqual(servers.Select(s => s.EndPoint).Order(EndPointComparer.Instance));

    private static List<string> Addresses(params FakeApiServer[] servers) => [.. servers.Select(s => s.EndPoint.ToString()).Order(StringComparer.Ordinal)];

    private List<string> FileAddresses()
    {
        var lines = File.ReadAllLines(EdsPath);
        var result = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().StartsWith("address: ", StringComparison.Ordinal))
            {
                result.Add(lines[i].Trim()["address: ".Length..].Trim('"') + ":" + lines[i + 1].Trim()["port_value: ".Length..]);
            }
        }

        return [.. result.Order(StringComparer.Ordinal)];
    }

    /// <summary>The apiserver that answers each of <paramref name="count"/> requests, each on a new connection through the listener.</summary>
    private async Task<List<string>> InstancesAsync(int count)
    {
        var result = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var http = TestHttpClient.Create(_ca.Certificate);
            using var response = await http.GetAsync($"https://{_host!.Server.GetListenerEndPoint("l1")}/version");
            response.EnsureSuccessStatusCode();
            result.Add(response.Headers.GetValues("X-Test-Instance").Single());
        }

        return result;
    }

    private sealed class EndPointComparer : IComparer<IPEndPoint>
    {
        public static readonly EndPointComparer Instance = new();

        public int Compare(IPEndPoint? x, IPEndPoint? y) => string.CompareOrdinal(x?.ToString(), y?.ToString());
    }
}
