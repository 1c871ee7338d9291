using System.Net;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;
using Kubegate.Health.Active;
using Kubegate.LoadBalancing;
using Kubegate.Stats;

namespace Kubegate.Tests.Health;

/// <summary>
/// A <see cref="ClusterState"/> named "c" with health services on a <see cref="ManualTimeProvider"/> and scripted
/// probes (one per host port), for driving the health machinery step by step.
/// </summary>
internal sealed class HealthTestCluster : IDisposable
{
    private readonly Dictionary<int, ScriptedProbe> _probes = [];
    private readonly Lock _probesLock = new();

    public HealthTestCluster(ClusterConfig config, IEnumerable<int> ports, Random? random = null, IHostConnectionCloser? connections = null)
    {
        Services = new HealthServices(Stats, Time, random: random ?? new Random(1), connections: connections)
        {
            ProbeFactory = (_, _, host) => Probe(host.EndPoint.Port),
        };
        Cluster = new ClusterState(config, Assignment(ports), Stats, LoadBalancerFactory.For(), Services.CreateMonitor);
    }

    public ManualTimeProvider Time { get; } = new();

    public StatsStore Stats { get; } = new();

    public HealthServices Services { get; }

    public ClusterState Cluster { get; }

    public ClusterHealth Health => Cluster.Health!;

    public static HealthCheckConfig Check(uint unhealthyThreshold = 3, uint healthyThreshold = 2, double intervalSeconds = 1, double timeoutSeconds = 0.5) => new()
    {
        Timeout = TimeSpan.FromSeconds(timeoutSeconds),
        Interval = TimeSpan.FromSeconds(intervalSeconds),
        NoTrafficInterval = TimeSpan.FromSeconds(intervalSeconds),
        UnhealthyThreshold = unhealthyThreshold,
        HealthyThreshold = healthyThreshold,
        Http = new HttpHealthCheckConfig { Path = "/readyz" },
    };

    public static ClusterConfig Config(HealthCheckConfig? check = null, OutlierDetectionConfig? outlier = null, Func<ClusterConfig, ClusterConfig>? configure = null)
    {
        var config = new ClusterConfig
        {
            Name = "c",
            HealthChecks = check is null ? EquatableArray<HealthCheckConfig>.Empty : [check],
            OutlierDetection = outlier,
        };
        return configure is null ? config : configure(config);
    }

    public static ClusterLoadAssignmentConfig Assignment(IEnumerable<int> ports) => new()
    {
        ClusterName = "c",
        Endpoints = [.. ports.Select(p => new LbEndpointConfig { Address = new SocketAddressConfig(IPAddress.Loopback, p) })],
    };

    public ScriptedProbe Probe(int port)
    {
        lock (_probesLock)
        {
            if (!_probes.TryGetValue(port, out var probe) || probe.Disposed)
            {
                _probes[port] = probe = new ScriptedProbe();
            }

            return probe;
        }
    }

    public EndpointState Host(int port) => Cluster.AllHosts.Hosts.Single(h => h.EndPoint.Port == port);

    public HealthCheckSession Session(int port) => Health.ActiveChecker!.Sessions.Single(s => s.Host.EndPoint.Port == port);

    /// <summary>Runs the checks due now (first checks are due at once).</summary>
    public void RunDueChecks() => Time.Advance(TimeSpan.Zero);

    public void Advance(double seconds) => Time.Advance(TimeSpan.FromSeconds(seconds));

    /// <summary>Completes at the next check result of any host (subscribe before making the check happen).</summary>
    public Task<HealthCheckRecord> NextCheckAsync()
    {
        var next = new TaskCompletionSource<HealthCheckRecord>(TaskCreationOptions.RunContinuationsAsynchronously);
        var checker = Health.ActiveChecker!;
        void OnCompleted(EndpointState host, HealthCheckRecord record)
        {
            checker.CheckCompleted -= OnCompleted;
            next.TrySetResult(record);
        }

        checker.CheckCompleted += OnCompleted;
        return next.Task;
    }

    /// <summary>Marks the cluster as having carried traffic (<c>upstream_cx_total</c> written).</summary>
    public void MarkTraffic() => Cluster.Stats.UpstreamCxTotal.Increment();

    public long Stat(string suffix) => Stats.GetValue("cluster.c." + suffix);

    public void Dispose()
    {
        Cluster.Retire();
        Services.Dispose();
    }
}
