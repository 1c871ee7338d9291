using Kubegate.Configuration;
using Kubegate.Health;
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
    private readonly HealthServices? _healthServices;

    // Guards the host set and health flags together: EDS updates, health verdicts and availability rebuilds.
    private readonly Lock _sync = new();
    private volatile ClusterHealth? _health;
    private volatile ClusterConfig _config;
    private volatile EndpointSet _all = EndpointSet.Empty;
    private volatile EndpointSet _available = EndpointSet.Empty;
    private volatile ILoadBalancer _loadBalancer;
    private volatile bool _panic;

    public ClusterState(ClusterConfig config, ClusterLoadAssignmentConfig? assignment, StatsStore stats, Random? random = null, HealthServices? health = null)
    {
        _config = config;
        _random = random;
        _healthServices = health;
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

    /// <summary>Active health checks and outlier detection; null when the cluster was built without health services.</summary>
    public ClusterHealth? Health => _health;

    /// <summary>The lock under which the host set and health flags change (taken by <see cref="ClusterHealth"/>).</summary>
    internal Lock SyncRoot => _sync;

    /// <summary>
    /// Applies a new config and endpoint assignment. Hosts whose address stays keep their state (connections,
    /// counters, health); a changed <c>lb_policy</c> gets a fresh balancer. A null assignment keeps the hosts.
    /// </summary>
    public void Update(ClusterConfig config, ClusterLoadAssignmentConfig? assignment)
    {
        lock (_sync)
        {
            UpdateLocked(config, assignment);
        }
    }

    /// <summary>Stops health checking and outlier detection (the cluster was removed or replaced).</summary>
    public void Retire() => _health?.Dispose();

    /// <summary>
    /// Drops <paramref name="host"/> from the cluster now: a host kept after leaving EDS
    /// (<see cref="HealthFlags.PendingDynamicRemoval"/>) that then failed a health check.
    /// </summary>
    internal void RemoveHost(EndpointState host)
    {
        lock (_sync)
        {
            if (Array.IndexOf(_all.Hosts, host) < 0)
            {
                return;
            }

            _all = new EndpointSet([.. _all.Hosts.Where(h => h != host)]);
            Stats.MembershipChange.Increment();
            _health?.OnHostRemoved(host);
            RecomputeAvailability();
        }
    }

    private void UpdateLocked(ClusterConfig config, ClusterLoadAssignmentConfig? assignment)
    {
        var policyChanged = config.LbPolicy != _config.LbPolicy
            || config.LeastRequestChoiceCount != _config.LeastRequestChoiceCount
            || config.LeastRequestActiveRequestBias != _config.LeastRequestActiveRequestBias;
        _config = config;
        if (policyChanged)
        {
            _loadBalancer = LoadBalancerFactory.Create(config, _random);
        }

        var health = _health;
        if (health is null && _healthServices is not null)
        {
            _health = health = new ClusterHealth(this, _healthServices);
        }

        health?.Configure(config, _all.Hosts);
        if (assignment is not null)
        {
            var existing = _all.Hosts.ToDictionary(h => h.EndPoint);
            var hosts = new List<EndpointState>(assignment.Endpoints.Length);
            var added = new List<EndpointState>();
            foreach (var endpoint in assignment.Endpoints)
            {
                if (!existing.Remove(endpoint.Address.ToEndPoint(), out var host))
                {
                    host = new EndpointState(endpoint);
                    added.Add(host);
                }
                else
                {
                    host.Config = endpoint;
                    host.UpdateHealthFlags(HealthFlags.None, HealthFlags.PendingDynamicRemoval);
                }

                host.UpdateHealthFlags(EdsFlags(endpoint.HealthStatus), HealthFlags.FailedEdsHealth | HealthFlags.EdsStatusDraining | HealthFlags.DegradedEdsHealth);
                hosts.Add(host);
            }

            // Hosts that left the assignment: with active health checks, one still passing them stays (and keeps
            // serving) until it fails one, unless ignore_health_on_host_removal (spec 3.6).
            foreach (var gone in existing.Values)
            {
                if (health?.KeepOnRemoval(gone) == true)
                {
                    gone.UpdateHealthFlags(HealthFlags.PendingDynamicRemoval, HealthFlags.None);
                    hosts.Add(gone);
                }
                else
                {
                    health?.OnHostRemoved(gone);
                }
            }

            // New hosts get their initial health (failed until the first check) before anyone can pick them.
            foreach (var host in added)
            {
                health?.OnHostAdded(host);
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
        lock (_sync)
        {
            RecomputeAvailabilityLocked();
        }
    }

    private void RecomputeAvailabilityLocked()
    {
        const HealthFlags degradedOnly = HealthFlags.DegradedActiveHc | HealthFlags.DegradedEdsHealth;

        // Not health verdicts: a host pending removal still serves (spec 3.6); pending-first-check always comes with
        // FAILED_ACTIVE_HC, and only excludes the host outright with ignore_new_hosts_until_first_hc (below).
        const HealthFlags informational = HealthFlags.PendingDynamicRemoval | HealthFlags.PendingActiveHc;
        var all = _all;
        if (_config.IgnoreNewHostsUntilFirstHc && all.Hosts.Any(h => h.HealthFlags.HasFlag(HealthFlags.PendingActiveHc)))
        {
            // Excluded hosts take no traffic even in panic and do not count toward the panic threshold.
            all = new EndpointSet([.. all.Hosts.Where(h => !h.HealthFlags.HasFlag(HealthFlags.PendingActiveHc))]);
        }

        var healthy = new List<EndpointState>(all.Count);
        var degraded = new List<EndpointState>();
        uint maxWeight = 0;
        foreach (var host in all.Hosts)
        {
            var flags = host.HealthFlags & ~informational;
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
        Stats.MembershipTotal.Set(_all.Count);
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
