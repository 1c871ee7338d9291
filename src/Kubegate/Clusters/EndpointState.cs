using System.Net;
using Kubegate.Configuration;

namespace Kubegate.Clusters;

/// <summary>
/// One upstream host (apiserver) of a cluster. Long-lived: an EDS update that keeps the address keeps this object,
/// with its counters, active connections and health. Per-host stats are plain fields updated with interlocked
/// operations so the data path never looks anything up.
/// </summary>
internal sealed class EndpointState
{
    private long _cxTotal;
    private long _cxActive;
    private long _cxConnectFail;
    private long _rqTotal;
    private long _rqActive;
    private long _rqError;
    private long _rqSuccess;
    private long _rqTimeout;
    private int _healthFlags;
    private int _maintenance;
    private int _readinessDraining;
    private long _availableSince = long.MinValue;

    public EndpointState(LbEndpointConfig config)
    {
        Config = config;
        EndPoint = config.Address.ToEndPoint();
        AddressText = config.Address.ToString();
    }

    /// <summary>The endpoint's current config (weight, metadata); replaced when an update changes it.</summary>
    public LbEndpointConfig Config { get; set; }

    public IPEndPoint EndPoint { get; }

    /// <summary><c>ip:port</c>, as Envoy prints hosts.</summary>
    public string AddressText { get; }

    public uint Weight => Config.Weight;

    public HealthFlags HealthFlags => (HealthFlags)Volatile.Read(ref _healthFlags);

    public bool IsHealthy => HealthFlags == HealthFlags.None;

    /// <summary>Active proxied connections to this host: what LEAST_REQUEST balances on.</summary>
    public long ActiveRequests => Volatile.Read(ref _rqActive);

    public long CxTotal => Volatile.Read(ref _cxTotal);

    public long CxActive => Volatile.Read(ref _cxActive);

    public long CxConnectFail => Volatile.Read(ref _cxConnectFail);

    public long RqTotal => Volatile.Read(ref _rqTotal);

    public long RqError => Volatile.Read(ref _rqError);

    public long RqSuccess => Volatile.Read(ref _rqSuccess);

    public long RqTimeout => Volatile.Read(ref _rqTimeout);

    /// <summary>
    /// The operator's maintenance state (admin <c>drain</c>/<c>disable</c>): not a health verdict, so Envoy's flags
    /// stay as they are; the cluster leaves the host out of new connections while it is not <see cref="MaintenanceMode.None"/>.
    /// </summary>
    public MaintenanceMode Maintenance
    {
        get => (MaintenanceMode)Volatile.Read(ref _maintenance);
        set => Volatile.Write(ref _maintenance, (int)value);
    }

    /// <summary>
    /// True while the cluster's readiness check fails with an answer from the host (an apiserver in its shutdown
    /// delay answers <c>/readyz</c> 503 but still serves): its connections are left to end by themselves.
    /// </summary>
    public bool ReadinessDraining
    {
        get => Volatile.Read(ref _readinessDraining) != 0;
        set => Volatile.Write(ref _readinessDraining, value ? 1 : 0);
    }

    /// <summary>
    /// When the host last turned available (added, or healthy again), as a <see cref="TimeProvider"/> timestamp;
    /// <see cref="long.MinValue"/> for hosts that were there when the cluster was built. Slow start measures from it.
    /// </summary>
    public long AvailableSince => Volatile.Read(ref _availableSince);

    /// <summary>Whether the host was healthy at the cluster's last availability rebuild (written only there).</summary>
    internal bool WasHealthy { get; set; }

    /// <summary>
    /// The host was there when the cluster was built and has not been available yet: its first pass of the health
    /// check is the cluster starting, not a recovery, so it does not start slowly (written only by the cluster).
    /// </summary>
    internal bool StartsWithCluster { get; set; }

    /// <summary>What an operator reads: UP, DRAINING (readiness or maintenance drain), DISABLED or DOWN.</summary>
    public ServingState ServingState => Maintenance switch
    {
        MaintenanceMode.Disable => ServingState.Disabled,
        MaintenanceMode.Drain => ServingState.Draining,
        _ when IsHealthy || (HealthFlags & ~(HealthFlags.PendingDynamicRemoval | HealthFlags.DegradedActiveHc | HealthFlags.DegradedEdsHealth)) == 0 => ServingState.Up,
        _ when ReadinessDraining || HealthFlags.HasFlag(HealthFlags.EdsStatusDraining) => ServingState.Draining,
        _ => ServingState.Down,
    };

    internal void MarkAvailable(long timestamp) => Volatile.Write(ref _availableSince, timestamp);

    /// <summary>Sets or clears flags atomically; returns true when the flags changed.</summary>
    public bool UpdateHealthFlags(HealthFlags set, HealthFlags clear)
    {
        while (true)
        {
            var current = Volatile.Read(ref _healthFlags);
            var updated = (current & ~(int)clear) | (int)set;
            if (updated == current)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _healthFlags, updated, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>An upstream connect attempt starts (Envoy counts the pool's connection and its one "request").</summary>
    public void OnConnectStarted()
    {
        Interlocked.Increment(ref _cxTotal);
        Interlocked.Increment(ref _cxActive);
        Interlocked.Increment(ref _rqTotal);
        Interlocked.Increment(ref _rqActive);
    }

    public void OnConnectFailed(bool timedOut)
    {
        Interlocked.Increment(ref _cxConnectFail);
        Interlocked.Decrement(ref _cxActive);
        Interlocked.Decrement(ref _rqActive);
        Interlocked.Increment(ref _rqError);
        if (timedOut)
        {
            Interlocked.Increment(ref _rqTimeout);
        }
    }

    public void OnConnectionClosed()
    {
        Interlocked.Decrement(ref _cxActive);
        Interlocked.Decrement(ref _rqActive);
        Interlocked.Increment(ref _rqSuccess);
    }

    public override string ToString() => AddressText;
}
