using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;

namespace Kubegate.Clusters;

/// <summary>
/// The long-lived runtime shell of one cluster. Holds volatile references to immutable parts (config, all hosts,
/// available hosts, balancer); writers rebuild and swap them, and a connection reads each once.
/// </summary>
internal sealed class ClusterState
{
    private readonly Random? _random;
    private volatile ClusterConfig _config;
    private volatile EndpointSet _all = EndpointSet.Empty;
    private volatile EndpointSet _available = EndpointSet.Empty;
    private volatile ILoadBalancer _loadBalancer;
    private volatile bool _panic;

    public ClusterState(ClusterConfig config, ClusterLoadAssignmentConfig? assignment, StatsStore stats, Random? random = null)
    {
        _config = config;
        _random = random;
        _loadBalancer = LoadBalancerFactory.Create(config, random);
        Stats = new ClusterStats(stats, config.ObservabilityName);
        Update(config, assignment);
    }

    public string Name => _config.Name;

    public ClusterConfig Config => _config;

    public ClusterStats Stats { get; }

    /// <summary>Every host of the cluster, in assignment order.</summary>
    public EndpointSet AllHosts => _all;

    /// <summary>The hosts new connections go to: the healthy ones, or all of them in panic mode.</summary>
    public EndpointSet AvailableHosts => _available;

    /// <summary>True while too few hosts are healthy and the balancer ignores health.</summary>
    public bool InPanic => _panic;

    /// <summary>
    /// Applies a new config and endpoint assignment. Hosts whose address stays keep their state (connections,
    /// counters, health); a changed <c>lb_policy</c> gets a fresh balancer. A null assignment keeps the hosts.
    /// </summary>
    public void Update(ClusterConfig config, ClusterLoadAssignmentConfig? assignment)
    {
        var policyChanged = config.LbPolicy != _config.LbPolicy
            || config.LeastRequestChoiceCount != _config.LeastRequestChoiceCount
            || config.LeastRequestActiveRequestBias != _config.LeastRequestActiveRequestBias;
        _config = config;
        if (policyChanged)
        {
            _loadBalancer = LoadBalancerFactory.Create(config, _random);
        }

        if (assignment is not null)
        {
            var existing = _all.Hosts.ToDictionary(h => h.EndPoint);
            var hosts = new List<EndpointState>(assignment.Endpoints.Length);
            foreach (var endpoint in assignment.Endpoints)
            {
                if (!existing.TryGetValue(endpoint.Address.ToEndPoint(), out var host))
                {
                    host = new EndpointState(endpoint);
                }
                else
                {
                    host.Config = endpoint;
                }

                host.UpdateHealthFlags(EdsFlags(endpoint.HealthStatus), HealthFlags.FailedEdsHealth | HealthFlags.EdsStatusDraining | HealthFlags.DegradedEdsHealth);
                hosts.Add(host);
            }

            if (hosts.Count != _all.Count || !hosts.SequenceEqual(_all.Hosts))
            {
                Stats.MembershipChange.Increment();
            }

            _all = new EndpointSet(hosts);
        }

        RecomputeAvailability();
    }

    /// <summary>
    /// Rebuilds the available set from the hosts' health flags, applying the panic threshold: when the share of
    /// usable (healthy or degraded) hosts drops below <c>healthy_panic_threshold</c>, every host is used. Degraded
    /// hosts take traffic only when no host is healthy, as in Envoy. Call after any health change.
    /// </summary>
    public void RecomputeAvailability()
    {
        const HealthFlags degradedOnly = HealthFlags.DegradedActiveHc | HealthFlags.DegradedEdsHealth;
        var all = _all;
        var healthy = new List<EndpointState>(all.Count);
        var degraded = new List<EndpointState>();
        uint maxWeight = 0;
        foreach (var host in all.Hosts)
        {
            var flags = host.HealthFlags;
            if (flags == HealthFlags.None)
            {
                healthy.Add(host);
            }
            else if ((flags & ~degradedOnly) == 0)
            {
                degraded.Add(host);
            }

            maxWeight = Math.Max(maxWeight, host.Weight);
        }

        var threshold = _config.HealthyPanicThreshold;
        var usable = healthy.Count + degraded.Count;
        var panic = all.Count > 0 && threshold > 0 && usable * 100.0 < threshold * all.Count;
        _available = panic || healthy.Count == all.Count ? all
            : healthy.Count > 0 ? new EndpointSet(healthy)
            : new EndpointSet(degraded);
        _panic = panic;
        Stats.MembershipTotal.Set(all.Count);
        Stats.MembershipHealthy.Set(healthy.Count);
        Stats.MembershipDegraded.Set(degraded.Count);
        Stats.MaxHostWeight.Set(maxWeight);
    }

    /// <summary>Picks a host for a new connection; null when no host can be used (Envoy's <c>UH</c>).</summary>
    public EndpointState? Pick()
    {
        var available = _available;
        if (_panic)
        {
            Stats.LbHealthyPanic.Increment();
        }

        return _loadBalancer.Pick(available);
    }

    private static HealthFlags EdsFlags(EndpointHealthStatus status) => status switch
    {
        EndpointHealthStatus.Unhealthy or EndpointHealthStatus.Timeout => HealthFlags.FailedEdsHealth,
        EndpointHealthStatus.Draining => HealthFlags.EdsStatusDraining,
        EndpointHealthStatus.Degraded => HealthFlags.DegradedEdsHealth,
        _ => HealthFlags.None,
    };
}
