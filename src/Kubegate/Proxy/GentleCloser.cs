using System.Runtime.CompilerServices;
using Kubegate.Clusters;
using Kubegate.Stats;

namespace Kubegate.Proxy;

/// <summary>
/// Once a heartbeat, picks the connections kubegate closes gently to move them: those of a disabled endpoint, those
/// past their jittered <c>max_connection_age</c>, and, with <c>rebalance</c>, enough connections of the over-full
/// hosts to bring every healthy host within the tolerance of its weighted fair share. Each close is a FIN at a quiet
/// moment (nothing either way for a heartbeat), never of a connection younger than <c>min_connection_age</c> (for
/// rebalancing), and never more than the cluster's limit in any one second.
/// </summary>
/// <remarks>
/// Runs on the heartbeat's thread only (one at a time), off the data path: it reads the hosts' counters and each
/// connection's volatile state and asks the chosen connections' reactors to close them, as the shutdown drain does.
/// Allocates per heartbeat only while some cluster has work, never per connection event.
/// </remarks>
internal sealed class GentleCloser
{
    private readonly ConditionalWeakTable<ClusterState, CloseWindow> _windows = [];
    private readonly Dictionary<ClusterState, Work> _work = [];
    private readonly Random _random;
    private readonly long _ticksPerSecond;

    /// <param name="random">Picks which connections go first, so closes do not always hit the oldest.</param>
    /// <param name="millisecondsPerSecond">The clock's milliseconds per second (1000; tests may pass another).</param>
    public GentleCloser(Random? random = null, long millisecondsPerSecond = 1000)
    {
        _random = random ?? Random.Shared;
        _ticksPerSecond = millisecondsPerSecond;
    }

    /// <summary>Looks at one open connection (called for each during a heartbeat, before <see cref="Close"/>).</summary>
    public void Consider(ProxyConnection connection, long now)
    {
        if (connection.Cluster is not { } cluster || connection.UpstreamHost is not { } host || !connection.IsRelaying)
        {
            return;
        }

        var extension = cluster.Config.Kubegate;
        var disabled = host.Maintenance == MaintenanceMode.Disable;
        var pastMaxAge = extension.MaxConnectionAge is { } maxAge && now - connection.StartTimestamp >= AgeLimit(connection.Id, maxAge, extension.MaxConnectionAgeJitterPercent);
        var rebalance = extension.Rebalance is { } r && now - connection.StartTimestamp >= (long)r.MinConnectionAge.TotalMilliseconds;
        if (!disabled && !pastMaxAge && !rebalance)
        {
            return;
        }

        if (!_work.TryGetValue(cluster, out var work))
        {
            work = new Work();
            _work[cluster] = work;
        }

        if (disabled)
        {
            work.Disabled.Add(connection);
        }
        else if (pastMaxAge)
        {
            work.PastMaxAge.Add(connection);
        }
        else
        {
            if (!work.ByHost.TryGetValue(host, out var list))
            {
                list = [];
                work.ByHost[host] = list;
            }

            list.Add(connection);
        }
    }

    /// <summary>Closes what the considered connections call for, within each cluster's limit; forgets them.</summary>
    /// <returns>The number of closes asked for.</returns>
    public int Close(long now, long quietMilliseconds)
    {
        var total = 0;
        foreach (var (cluster, work) in _work)
        {
            var window = _windows.GetValue(cluster, static _ => new CloseWindow());
            var limit = cluster.Config.Kubegate.GentleClosesPerSecond;
            total += CloseSome(window, work.Disabled, GentleClose.EndpointDisabled, cluster.Stats.DisabledCxClosed, limit, now, quietMilliseconds);
            total += CloseSome(window, work.PastMaxAge, GentleClose.MaxConnectionAge, cluster.Stats.MaxAgeCxClosed, limit, now, quietMilliseconds);
            if (cluster.Config.Kubegate.Rebalance is { } rebalance && work.ByHost.Count > 0)
            {
                total += Rebalance(cluster, rebalance.TolerancePercent, window, work.ByHost, limit, now, quietMilliseconds);
            }
        }

        _work.Clear();
        return total;
    }

    /// <summary>
    /// How many connections each over-full host should lose: the healthy hosts' (not in panic) weighted fair shares of
    /// their connections, and the excess over <c>share × (1 + tolerance)</c> of each host above it. Empty when
    /// every host is within the tolerance. Pure, for tests.
    /// </summary>
    public static Dictionary<EndpointState, int> Excess(IReadOnlyList<EndpointState> hosts, double tolerancePercent)
    {
        var excess = new Dictionary<EndpointState, int>();
        if (hosts.Count < 2)
        {
            return excess;
        }

        long connections = 0;
        double weights = 0;
        foreach (var host in hosts)
        {
            connections += Math.Max(0, host.CxActive);
            weights += Math.Max(1u, host.Weight);
        }

        var tolerance = tolerancePercent / 100.0;
        var outside = false;
        foreach (var host in hosts)
        {
            var share = connections * Math.Max(1u, host.Weight) / weights;
            var count = Math.Max(0, host.CxActive);
            if (count > (share * (1 + tolerance)) + 0.5 || count < (share * (1 - tolerance)) - 0.5)
            {
                outside = true;
            }
        }

        if (!outside)
        {
            return excess;
        }

        foreach (var host in hosts)
        {
            var share = connections * Math.Max(1u, host.Weight) / weights;
            var over = (int)Math.Ceiling(Math.Max(0, host.CxActive) - (share * (1 + tolerance)));
            if (over > 0)
            {
                excess[host] = over;
            }
        }

        return excess;
    }

    /// <summary>
    /// A connection's own age limit: <paramref name="maxAge"/> shortened by up to <paramref name="jitterPercent"/>,
    /// by an amount fixed per connection (a hash of its id), so watches opened together end spread out.
    /// </summary>
    internal static long AgeLimit(long connectionId, TimeSpan maxAge, double jitterPercent)
    {
        var hash = (ulong)connectionId * 0x9E3779B97F4A7C15UL;
        var fraction = (hash >> 11) * (1.0 / (1UL << 53));
        return (long)(maxAge.TotalMilliseconds * (1 - (jitterPercent / 100.0 * fraction)));
    }

    private int Rebalance(ClusterState cluster, double tolerancePercent, CloseWindow window, Dictionary<EndpointState, List<ProxyConnection>> byHost, int limit, long now, long quiet)
    {
        var availability = cluster.Availability;
        if (availability.Panic)
        {
            return 0;
        }

        var closed = 0;
        foreach (var (host, over) in Excess(availability.Hosts.Hosts, tolerancePercent))
        {
            if (!byHost.TryGetValue(host, out var candidates))
            {
                continue;
            }

            closed += CloseSome(window, candidates, GentleClose.Rebalance, cluster.Stats.RebalanceCxClosed, limit, now, quiet, over);
        }

        return closed;
    }

    /// <summary>
    /// Closes up to <paramref name="most"/> of <paramref name="candidates"/>, in random order, those quiet enough, as
    /// long as the cluster's window allows; counts each in <paramref name="closedStat"/>.
    /// </summary>
    private int CloseSome(CloseWindow window, List<ProxyConnection> candidates, GentleClose kind, Counter closedStat, int limit, long now, long quiet, int most = int.MaxValue)
    {
        if (candidates.Count == 0)
        {
            return 0;
        }

        Shuffle(candidates);
        var closed = 0;
        foreach (var connection in candidates)
        {
            if (closed == most || !window.TryTake(now, limit, _ticksPerSecond))
            {
                break;
            }

            if (connection.TryCloseGently(now, quiet, kind))
            {
                window.Commit(now);
                closedStat.Increment();
                closed++;
            }
        }

        return closed;
    }

    private void Shuffle(List<ProxyConnection> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = _random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }

    /// <summary>What one cluster's connections call for in this heartbeat.</summary>
    private sealed class Work
    {
        public List<ProxyConnection> Disabled { get; } = [];

        public List<ProxyConnection> PastMaxAge { get; } = [];

        public Dictionary<EndpointState, List<ProxyConnection>> ByHost { get; } = [];
    }

    /// <summary>
    /// The times of a cluster's recent gentle closes: a close is allowed only while fewer than the limit happened in
    /// the last second, so no one-second window ever holds more than the limit (a per-tick budget would allow twice
    /// the limit across two ticks close together).
    /// </summary>
    private sealed class CloseWindow
    {
        private readonly Queue<long> _times = new();

        public bool TryTake(long now, int limit, long ticksPerSecond)
        {
            while (_times.Count > 0 && now - _times.Peek() >= ticksPerSecond)
            {
                _times.Dequeue();
            }

            return _times.Count < limit;
        }

        public void Commit(long now) => _times.Enqueue(now);
    }
}
