using Kubegate.Configuration;
using Kubegate.Stats;

namespace Kubegate.Clusters;

/// <summary>
/// The long-lived runtime shell of one cluster. Holds volatile references to immutable parts (config, all hosts,
/// the availability snapshot, balancer); writers rebuild and swap them, and a connection reads each once.
/// </summary>
/// <remarks>
/// This is data plus the one updater of availability (YARP's <c>ClusterState</c> and
/// <c>ClusterDestinationsUpdater</c>): it knows nothing of how health is decided. Health verdicts arrive as host
/// flags followed by <see cref="RecomputeAvailability"/>; membership changes go out to the attached
/// <see cref="IClusterHealthMonitor"/> after the lock is released. The lock is private to this class.
/// </remarks>
internal sealed class ClusterState
{
    private readonly Func<ClusterConfig, ILoadBalancer> _balancers;

    // Guards the host set and the availability rebuild; never held while calling out (except the monitor's pure
    // InitialFlags/KeepOnRemoval), so it nests inside any other lock and no other lock nests inside it.
    private readonly Lock _sync = new();

    // Serializes writers of the host set (EDS updates, removals after a failed check) so the monitor sees the
    // membership changes in the order they were made, without holding _sync while it runs.
    private readonly Lock _writers = new();
    private readonly IClusterHealthMonitor? _health;
    private readonly TimeProvider _time;
    private readonly MaintenanceBook? _maintenance;

    // False until the first availability rebuild: hosts there when the cluster is built do not start slowly.
    private bool _built;
    private volatile ClusterConfig _config;
    private volatile EndpointSet _all = EndpointSet.Empty;
    private volatile ClusterAvailability _availability = ClusterAvailability.Empty;
    private volatile ILoadBalancer _loadBalancer;

    /// <param name="config">The cluster's config.</param>
    /// <param name="assignment">Its endpoints; null starts with none.</param>
    /// <param name="stats">The process stats.</param>
    /// <param name="balancers">Builds the balancer of an <c>lb_policy</c> (LoadBalancing's factory).</param>
    /// <param name="health">Builds the cluster's health monitor (Health's factory); null runs without health.</param>
    /// <param name="time">The clock slow start measures with; null means the system clock.</param>
    /// <param name="maintenance">The operators' maintenance states, which outlive this object; null: none.</param>
    public ClusterState(
        ClusterConfig config,
        ClusterLoadAssignmentConfig? assignment,
        StatsStore stats,
        Func<ClusterConfig, ILoadBalancer> balancers,
        Func<ClusterState, IClusterHealthMonitor>? health = null,
        TimeProvider? time = null,
        MaintenanceBook? maintenance = null)
    {
        ArgumentNullException.ThrowIfNull(balancers);
        _time = time ?? TimeProvider.System;
        _maintenance = maintenance;
        _config = config;
        _balancers = balancers;
        _loadBalancer = balancers(config);
        Stats = new ClusterStats(stats, config.ObservabilityName);
        _health = health?.Invoke(this);
        Update(config, assignment);
    }

    public string Name => _config.Name;

    /// <summary>The clock slow start measures with (host <see cref="EndpointState.AvailableSince"/> timestamps).</summary>
    public TimeProvider Time => _time;

    public ClusterConfig Config => _config;

    public ClusterStats Stats { get; }

    /// <summary>Every host of the cluster, in assignment order.</summary>
    public EndpointSet AllHosts => _all;

    /// <summary>The current availability snapshot (hosts and panic state together).</summary>
    public ClusterAvailability Availability => _availability;

    /// <summary>The hosts new connections go to: the healthy ones, or all of them in panic mode.</summary>
    public EndpointSet AvailableHosts => _availability.Hosts;

    /// <summary>True while too few hosts are healthy and the balancer ignores health.</summary>
    public bool InPanic => _availability.Panic;

    /// <summary>The attached health monitor (active checks, outlier detection); null without health.</summary>
    public IClusterHealthMonitor? HealthMonitor => _health;

    /// <summary>
    /// Applies a new config and endpoint assignment. Hosts whose address stays keep their state (connections,
    /// counters, health); a changed <c>lb_policy</c> gets a fresh balancer. A null assignment keeps the hosts.
    /// </summary>
    public void Update(ClusterConfig config, ClusterLoadAssignmentConfig? assignment)
    {
        lock (_writers)
        {
            (EndpointState[] Hosts, List<EndpointState> Added, List<EndpointState> Removed) change;
            lock (_sync)
            {
                change = UpdateLocked(config, assignment);
            }

            if (_health is { } health)
            {
                health.OnMembershipChanged(config, change.Hosts, change.Added, change.Removed);

                // The monitor may have changed flags (a health check removed clears its flags).
                RecomputeAvailability();
            }
        }
    }

    /// <summary>Stops health checking and outlier detection (the cluster was removed or replaced).</summary>
    public void Retire() => _health?.Dispose();

    /// <summary>
    /// Drops <paramref name="host"/> from the cluster now: a host kept after leaving EDS
    /// (<see cref="HealthFlags.PendingDynamicRemoval"/>) that then failed a health check; a host no longer pending
    /// removal stays. Call with no lock held.
    /// </summary>
    public void RemoveHost(EndpointState host)
    {
        lock (_writers)
        {
            EndpointState[] hosts;
            lock (_sync)
            {
                // Checked again here, serialized with EDS updates: one that brought the host back meanwhile wins.
                if (Array.IndexOf(_all.Hosts, host) < 0 || !host.HealthFlags.HasFlag(HealthFlags.PendingDynamicRemoval))
                {
                    return;
                }

                _all = new EndpointSet([.. _all.Hosts.Where(h => h != host)]);
                hosts = _all.Hosts;
                Stats.MembershipChange.Increment();
                RecomputeAvailabilityLocked();
            }

            _health?.OnMembershipChanged(_config, hosts, [], [host]);
        }
    }

    private (EndpointState[] Hosts, List<EndpointState> Added, List<EndpointState> Removed) UpdateLocked(ClusterConfig config, ClusterLoadAssignmentConfig? assignment)
    {
        var policyChanged = config.LbPolicy != _config.LbPolicy
            || config.LeastRequestChoiceCount != _config.LeastRequestChoiceCount
            || config.LeastRequestActiveRequestBias != _config.LeastRequestActiveRequestBias
            || config.SlowStart != _config.SlowStart;
        _config = config;
        if (policyChanged)
        {
            _loadBalancer = _balancers(config);
        }

        var health = _health;
        var added = new List<EndpointState>();
        var removed = new List<EndpointState>();
        if (assignment is not null)
        {
            var existing = _all.Hosts.ToDictionary(h => h.EndPoint);
            var hosts = new List<EndpointState>(assignment.Endpoints.Length);
            foreach (var endpoint in assignment.Endpoints)
            {
                if (!existing.Remove(endpoint.Address.ToEndPoint(), out var host))
                {
                    host = new EndpointState(endpoint);
                    host.Maintenance = _maintenance?.Get(config.Name, host.AddressText) ?? MaintenanceMode.None;
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
                if (health?.KeepOnRemoval(config, gone) == true)
                {
                    gone.UpdateHealthFlags(HealthFlags.PendingDynamicRemoval, HealthFlags.None);
                    hosts.Add(gone);
                }
                else
                {
                    removed.Add(gone);
                }
            }

            // New hosts get their initial health (failed until the first check) before anyone can pick them.
            if (health is not null)
            {
                foreach (var host in added)
                {
                    host.UpdateHealthFlags(health.InitialFlags(config, host), HealthFlags.None);
                }
            }

            if (hosts.Count != _all.Count || !hosts.SequenceEqual(_all.Hosts))
            {
                Stats.MembershipChange.Increment();
            }

            _all = new EndpointSet(hosts);
        }

        RecomputeAvailabilityLocked();
        return (_all.Hosts, added, removed);
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
        TrackSlowStart(all, informational);
        if (all.Hosts.Any(h => h.Maintenance != MaintenanceMode.None))
        {
            // Taken out by an operator: no new connections, even in panic, and not counted toward the threshold.
            all = new EndpointSet([.. all.Hosts.Where(h => h.Maintenance == MaintenanceMode.None)]);
        }

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
        _availability = new ClusterAvailability(
            panic || healthy.Count == all.Count ? all
            : healthy.Count > 0 ? new EndpointSet(healthy)
            : new EndpointSet(degraded),
            panic);
        Stats.MembershipTotal.Set(_all.Count);
        Stats.MembershipHealthy.Set(healthy.Count);
        Stats.MembershipDegraded.Set(degraded.Count);
        Stats.MaxHostWeight.Set(maxWeight);
    }

    /// <summary>
    /// Starts slow start for each host that turned available since the last rebuild (added, healthy again, or back
    /// from maintenance), as Envoy does for hosts that join or pass their health check again; not for the hosts the
    /// cluster was built with, including their first passing check. Under <see cref="_sync"/>.
    /// </summary>
    private void TrackSlowStart(EndpointSet all, HealthFlags informational)
    {
        var now = _time.GetTimestamp();
        foreach (var host in all.Hosts)
        {
            var available = (host.HealthFlags & ~informational) == HealthFlags.None && host.Maintenance == MaintenanceMode.None;
            if (!_built)
            {
                host.StartsWithCluster = true;
            }

            if (available && !host.WasHealthy && !host.StartsWithCluster)
            {
                host.MarkAvailable(now);
            }

            if (available)
            {
                host.StartsWithCluster = false;
            }

            host.WasHealthy = available;
        }

        _built = true;
    }

    /// <summary>
    /// Sets an operator's maintenance state for the host at <paramref name="address"/> (<c>ip:port</c>) and rebuilds
    /// availability; false when the cluster has no such host. The state is also kept in the maintenance book, so a
    /// reload that re-creates the host keeps it until it is enabled again.
    /// </summary>
    public bool SetMaintenance(string address, MaintenanceMode mode)
    {
        var host = _all.Hosts.FirstOrDefault(h => string.Equals(h.AddressText, address, StringComparison.Ordinal));
        if (host is null)
        {
            return false;
        }

        _maintenance?.Set(Name, address, mode);
        host.Maintenance = mode;
        RecomputeAvailability();
        return true;
    }

    /// <summary>Picks a host for a new connection; null when no host can be used (Envoy's <c>UH</c>).</summary>
    public EndpointState? Pick()
    {
        var availability = _availability;
        if (availability.Panic)
        {
            Stats.LbHealthyPanic.Increment();
        }

        return _loadBalancer.Pick(availability.Hosts);
    }

    private static HealthFlags EdsFlags(EndpointHealthStatus status) => status switch
    {
        EndpointHealthStatus.Unhealthy or EndpointHealthStatus.Timeout => HealthFlags.FailedEdsHealth,
        EndpointHealthStatus.Draining => HealthFlags.EdsStatusDraining,
        EndpointHealthStatus.Degraded => HealthFlags.DegradedEdsHealth,
        _ => HealthFlags.None,
    };
}
