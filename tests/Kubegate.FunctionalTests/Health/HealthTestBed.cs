using System.Net;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Health;
using Kubegate.Hosting;
using Kubegate.Testing;
using FakeApiServer = Kubegate.Testing.FakeApiServer;
using FakeApiServerOptions = Kubegate.Testing.FakeApiServerOptions;
using TestCertificateAuthority = Kubegate.Testing.TestCertificateAuthority;

namespace Kubegate.FunctionalTests.Health;

/// <summary>
/// Fake apiservers behind an in-process kubegate whose cluster "c" health-checks them over HTTPS (<c>GET /readyz</c>,
/// TLS selected through <c>transport_socket_matches</c> as in the shipped example), with short intervals.
/// </summary>
internal sealed class HealthTestBed : IAsyncDisposable
{
    public const double Interval = 0.2;
    public const double CheckTimeout = 0.5;
    public const uint UnhealthyThreshold = 2;
    public const uint HealthyThreshold = 2;

    /// <summary>Scheduling slack on a loaded 2-core machine, on top of the protocol bound.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromSeconds(1.5);

    private readonly List<FakeApiServer> _apiservers = [];

    private HealthTestBed(TestCertificateAuthority ca) => Ca = ca;

    public TestCertificateAuthority Ca { get; }

    public IReadOnlyList<FakeApiServer> ApiServers => _apiservers;

    public KubegateServer Server { get; private set; } = null!;

    public ClusterState Cluster => Server.Clusters.TryGet("c", out var cluster) ? cluster : throw new InvalidOperationException("no cluster c");

    public IPEndPoint ListenerEndPoint => Server.GetListenerEndPoint("l");

    /// <summary>
    /// The longest a failure may take to be noticed: <paramref name="threshold"/> checks, each up to the timeout plus
    /// the wait before it, plus <see cref="Slack"/>.
    /// </summary>
    public static TimeSpan DetectionBound(uint threshold = UnhealthyThreshold) =>
        TimeSpan.FromSeconds(threshold * (Interval + CheckTimeout)) + Slack;

    public static async Task<HealthTestBed> StartAsync(
        int apiservers,
        Func<ClusterConfig, ClusterConfig>? cluster = null,
        Func<TcpProxyConfig, TcpProxyConfig>? tcpProxy = null,
        Action<int, FakeApiServerOptions>? apiserver = null,
        TestCertificateAuthority? ca = null)
    {
        var bed = new HealthTestBed(ca ?? TestCertificateAuthority.Create());
        try
        {
            for (var i = 0; i < apiservers; i++)
            {
                var options = new FakeApiServerOptions { Name = $"apiserver-{i}", ServerCertificate = bed.Ca.ServerCertificate, SlowReadyzDelay = TimeSpan.FromSeconds(30) };
                apiserver?.Invoke(i, options);
                bed._apiservers.Add(await FakeApiServer.StartAsync(options));
            }

            var config = HttpsReadyzCluster(bed.Ca.CertificatePem);
            config = cluster is null ? config : cluster(config);
            var snapshot = TestConfig.Snapshot(
                [TestConfig.Listener("l", "c", tcpProxy ?? (p => p with { MaxConnectAttempts = 2 }))],
                [config],
                [TestConfig.Assignment("c", [.. bed._apiservers.Select(a => a.EndPoint)])]);
            bed.Server = new KubegateServer(snapshot);
            await bed.Server.StartAsync().DefaultTimeout();
            return bed;
        }
        catch
        {
            await bed.DisposeAsync();
            throw;
        }
    }

    /// <summary>Cluster "c" with an HTTPS <c>/readyz</c> check trusting <paramref name="caPem"/> and short intervals.</summary>
    public static ClusterConfig HttpsReadyzCluster(string caPem, Func<HealthCheckConfig, HealthCheckConfig>? check = null, Func<UpstreamTlsContextConfig, UpstreamTlsContextConfig>? tls = null)
    {
        var criteria = new EquatableDictionary<string>([new KeyValuePair<string, string>("health_check_tls", "true")]);
        var context = new UpstreamTlsContextConfig { Sni = "kubernetes.default", TrustedCaPem = caPem };
        var healthCheck = new HealthCheckConfig
        {
            Timeout = TimeSpan.FromSeconds(CheckTimeout),
            Interval = TimeSpan.FromSeconds(Interval),
            NoTrafficInterval = TimeSpan.FromSeconds(Interval),
            UnhealthyThreshold = UnhealthyThreshold,
            HealthyThreshold = HealthyThreshold,
            TransportSocketMatchCriteria = criteria,
            Http = new HttpHealthCheckConfig { Path = "/readyz" },
        };
        return TestConfig.Cluster("c", c => c with
        {
            ConnectTimeout = TimeSpan.FromSeconds(1),
            HealthChecks = [check is null ? healthCheck : check(healthCheck)],
            TransportSocketMatches =
            [
                new TransportSocketMatchConfig
                {
                    Name = "health_check_tls",
                    Match = criteria,
                    TransportSocket = new TransportSocketConfig { Name = "envoy.transport_sockets.tls", Tls = tls is null ? context : tls(context) },
                },
            ],
        });
    }

    public EndpointState Host(int apiserver) => Cluster.AllHosts.Hosts.Single(h => h.EndPoint.Equals(_apiservers[apiserver].EndPoint));

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking at every health event of the cluster (no polling).</summary>
    public Task WaitForAsync(Func<bool> condition, TimeSpan? timeout = null, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(condition))] string what = "") =>
        HealthEvents.WaitForAsync(Cluster, condition, timeout ?? Kubegate.Testing.TaskExtensions.DefaultTimeoutValue, what);

    public async ValueTask DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        foreach (var apiserver in _apiservers)
        {
            await apiserver.DisposeAsync();
        }

        Ca.Dispose();
    }
}
