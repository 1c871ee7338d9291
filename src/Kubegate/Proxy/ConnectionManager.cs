using System.Collections.Concurrent;
using Kubegate.Clusters;
using Kubegate.Health;
using Kubegate.Proxy.Reactors;
using Kubegate.Proxy.Splice;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Proxy;

/// <summary>
/// Owns the data path's reactors (<see cref="ReactorGroup"/>) and tracks every open proxied connection: one heartbeat
/// a second runs the shutdown drain and the periodic access-log entries, and shutdown waits for connections to
/// finish, then closes the rest. Timeouts are each reactor's own timers.
/// </summary>
/// <remarks>
/// The heartbeat is also the proxy's sign of life: <see cref="LastHeartbeatMilliseconds"/> only moves while its
/// timer callbacks run to completion and every reactor answers its pings, and the systemd watchdog pings only while
/// it moves.
/// </remarks>
internal sealed class ConnectionManager : IDisposable, IHostConnectionCloser
{
    /// <summary>How often timeouts and drain closes run; also how long a connection must be quiet to count as between requests.</summary>
    internal static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    // The longest Task.WaitAsync accepts (uint.MaxValue - 1 ms, about 49 days); a longer drain waits without a bound.
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);
    private static readonly TimeSpan ReactorStopTimeout = TimeSpan.FromSeconds(2);
    private static readonly long QuietMilliseconds = (long)HeartbeatInterval.TotalMilliseconds;

    private readonly ConcurrentDictionary<long, ProxyConnection> _connections = new();
    private readonly ITimer _heartbeat;
    private readonly Gauge _totalConnections;
    private readonly Counter _drainClosedQuiet;
    private readonly Counter _drainClosedForced;
    private readonly TimeProvider _time;
    private readonly long _ticksPerMillisecond;
    private readonly Lock _drainsLock = new();
    private readonly GentleCloser _gentle = new();
    private TaskCompletionSource? _drained;
    private volatile DrainSchedule? _shutdownDrain;
    private long _lastHeartbeat;

    // The partial drains in progress (a removed listener's connections); read on every Remove, so an array that
    // writers replace under the lock: empty, and free to read, nearly always.
    private volatile PartialDrain[] _drains = [];
    private long _nextId;

    /// <param name="time">The clock of every timeout, the heartbeat and the drain.</param>
    /// <param name="stats">Where <c>server.*</c> connection stats go.</param>
    /// <param name="concurrency">Reactors to run (0: none, for tests of the heartbeat alone).</param>
    /// <param name="logger">Where the reactors log; null means nowhere.</param>
    /// <param name="pipes">The splice pipes, whose descriptors count against the reserve; null means <see cref="PipePool.Shared"/>.</param>
    /// <param name="eventInterface">How the reactors learn about ready sockets: io_uring when allowed, or epoll.</param>
    public ConnectionManager(TimeProvider time, StatsStore stats, int concurrency = 0, ILogger? logger = null, PipePool? pipes = null, EventInterface eventInterface = EventInterface.Auto)
    {
        _time = time;
        _ticksPerMillisecond = Math.Max(1, time.TimestampFrequency / 1000);
        _totalConnections = stats.Gauge("server.total_connections");
        pipes ??= PipePool.Shared;
        if (concurrency > 0)
        {
            // Two descriptors per connection (while connecting it may hold one), two per pipe, pooled or rented.
            var budget = new DescriptorBudget(() => (2 * _totalConnections.Value) + (2 * pipes.Open));
            Reactors = new ReactorGroup(concurrency, NowMilliseconds, logger ?? NullLogger.Instance, stats, budget, eventInterface);
        }

        _drainClosedQuiet = stats.Counter("server.drain_closed_quiet");
        _drainClosedForced = stats.Counter("server.drain_closed_forced");
        _lastHeartbeat = NowMilliseconds();
        _heartbeat = time.CreateTimer(static s => ((ConnectionManager)s!).OnHeartbeat(), this, HeartbeatInterval, HeartbeatInterval);
    }

    public int Count => _connections.Count;

    /// <summary>The reactors that accept and run connections; null for a manager made without any (tests).</summary>
    public ReactorGroup? Reactors { get; }

    public IEnumerable<ProxyConnection> Connections => _connections.Values;

    /// <inheritdoc/>
    public int CloseConnections(ClusterState cluster, EndpointState host)
    {
        var closed = 0;
        foreach (var connection in _connections.Values)
        {
            if (connection.Cluster == cluster && connection.UpstreamHost == host && !connection.IsClosed)
            {
                connection.CloseForShutdown();
                closed++;
            }
        }

        return closed;
    }

    public long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>
    /// When the last heartbeat finished (<see cref="NowMilliseconds"/> clock), or the oldest reactor ping still
    /// unanswered if earlier: stale means the proxy is wedged.
    /// </summary>
    public long LastHeartbeatMilliseconds => Math.Min(Volatile.Read(ref _lastHeartbeat), Reactors?.OldestUnansweredPing ?? long.MaxValue);

    /// <summary>The shutdown drain in progress; null before <see cref="DrainAsync(TimeSpan, DrainStrategy, CancellationToken)"/>.</summary>
    public DrainSchedule? ShutdownDrain => _shutdownDrain;

    /// <summary>
    /// Monotonic milliseconds from the <see cref="TimeProvider"/>, the clock of every connection timeout (so a fake
    /// clock in tests drives idle timeouts as it drives the heartbeat).
    /// </summary>
    public long NowMilliseconds() => _time.GetTimestamp() / _ticksPerMillisecond;

    public void Add(ProxyConnection connection)
    {
        _connections[connection.Id] = connection;
        _totalConnections.Increment();
    }

    public void Remove(ProxyConnection connection)
    {
        if (_connections.TryRemove(connection.Id, out _))
        {
            _totalConnections.Decrement();
            foreach (var drain in _drains)
            {
                drain.OnRemoved(connection);
            }

            if (_connections.IsEmpty)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Pings the reactors, asks for due periodic access-log entries, closes gently what <see cref="GentleCloser"/>
    /// picks (rebalancing, disabled endpoints, <c>max_connection_age</c>) and, during a shutdown drain, closes due
    /// connections that are quiet; the timer calls this every second, tests may call it directly.
    /// </summary>
    public void OnHeartbeat()
    {
        var now = NowMilliseconds();
        Reactors?.Ping(now);
        var drain = _shutdownDrain;
        foreach (var connection in _connections.Values)
        {
            if (drain is not null && drain.IsDue(connection.Id, now) && connection.TryCloseQuiet(now, QuietMilliseconds))
            {
                _drainClosedQuiet.Increment();
                continue;
            }

            if (drain is null)
            {
                _gentle.Consider(connection, now);
            }

            connection.OnHeartbeat(now);
        }

        // Rebalancing, disabled endpoints and max_connection_age: not during shutdown, whose drain closes everything.
        _gentle.Close(now, QuietMilliseconds);
        Volatile.Write(ref _lastHeartbeat, NowMilliseconds());
    }

    /// <summary>
    /// The shutdown drain: from now on each heartbeat closes (FIN) the connections that <paramref name="strategy"/>
    /// makes due and that have been quiet for a heartbeat; waits until every connection has ended or
    /// <paramref name="timeout"/> passes (or <paramref name="cancellationToken"/> fires), then closes what is left.
    /// Returns the number of connections that had to be closed at the end.
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan timeout, DrainStrategy strategy, CancellationToken cancellationToken)
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A full fence (not just a release) so the emptiness check below cannot be reordered before this write,
        // which would let the last Remove miss the signal and the drain wait for its whole deadline.
        Interlocked.Exchange(ref _drained, drained);
        _shutdownDrain = DrainSchedule.Create(strategy, NowMilliseconds(), timeout, _connections.Keys);
        if (!_connections.IsEmpty)
        {
            // A first pass now rather than up to a second later: with immediate, connections already quiet go at once.
            OnHeartbeat();
            try
            {
                await drained.Task.WaitAsync(timeout < MaxWait ? timeout : Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // Deadline reached or the drain was cut short: close what is left below.
            }
        }

        var closed = 0;
        foreach (var connection in _connections.Values)
        {
            connection.CloseForShutdown();
            closed++;
        }

        _drainClosedForced.Add(closed);
        return closed;
    }

    /// <summary>
    /// Drains the connections <paramref name="belongs"/> selects (those of a removed listener): waits until each has
    /// ended or <paramref name="timeout"/> passes, then closes those left that <paramref name="belongs"/> still selects,
    /// as shutdown does for all. Returns the number closed. The caller must have stopped new connections from matching
    /// (the listener stopped accepting, or its dropped filter chains are no longer selectable) first.
    /// </summary>
    /// <remarks>Cancelling ends the wait without closing anything: the caller is shutting down and drains everything.</remarks>
    public async Task<int> DrainAsync(Func<ProxyConnection, bool> belongs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var drain = new PartialDrain();
        lock (_drainsLock)
        {
            _drains = [.. _drains, drain];
        }

        try
        {
            // Registered first, then enumerated: a connection that ends during the enumeration is either seen
            // by OnRemoved (registered) or found gone by the ContainsKey check; none stays a member for ever.
            foreach (var connection in _connections.Values)
            {
                if (belongs(connection))
                {
                    drain.Members[connection.Id] = connection;
                    if (!_connections.ContainsKey(connection.Id))
                    {
                        drain.Members.TryRemove(connection.Id, out _);
                    }
                }
            }

            drain.Arm();
            try
            {
                await drain.Done.Task.WaitAsync(timeout < MaxWait ? timeout : Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (TimeoutException)
            {
                // Drain time over: close what is left below.
            }

            var closed = 0;
            foreach (var connection in drain.Members.Values)
            {
                // Asked again: a member may have been undecided when the drain began (a connection still in its
                // listener filters when some of its listener's filter chains were dropped).
                if (belongs(connection))
                {
                    connection.CloseForShutdown();
                    closed++;
                }
            }

            return closed;
        }
        finally
        {
            lock (_drainsLock)
            {
                _drains = [.. _drains.Where(d => d != drain)];
            }
        }
    }

    /// <summary>
    /// After <see cref="DrainAsync"/>: waits (at most <paramref name="timeout"/>) until the connections it closed have
    /// finished ending, so their final access-log entries are written before the log files close.
    /// </summary>
    public async Task WaitUntilEmptyAsync(TimeSpan timeout)
    {
        var drained = Volatile.Read(ref _drained);
        if (drained is null || _connections.IsEmpty)
        {
            return;
        }

        try
        {
            await drained.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Whatever has not ended by now loses its final entry rather than holding up shutdown.
        }
    }

    /// <summary>
    /// Stops the heartbeat, lets the reactors finish the closes already asked of them (at most
    /// <see cref="ReactorStopTimeout"/>), then stops the reactors.
    /// </summary>
    public void Dispose()
    {
        _heartbeat.Dispose();
        if (Reactors is null)
        {
            return;
        }

        foreach (var connection in _connections.Values)
        {
            connection.CloseForShutdown();
        }

        // Shutdown only, and bounded: the reactors close what is left within a turn or two.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!_connections.IsEmpty && waited.Elapsed < ReactorStopTimeout)
        {
            Thread.Sleep(1);
        }

        Reactors.Dispose();
    }

    /// <summary>The members of one partial drain and the signal that the last of them ended.</summary>
    private sealed class PartialDrain
    {
        private int _armed;

        public ConcurrentDictionary<long, ProxyConnection> Members { get; } = new();

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Membership is complete: from now on the last member to end completes <see cref="Done"/>.</summary>
        public void Arm()
        {
            Interlocked.Exchange(ref _armed, 1);
            if (Members.IsEmpty)
            {
                Done.TrySetResult();
            }
        }

        public void OnRemoved(ProxyConnection connection)
        {
            // Before Arm the drain may still be adding members; Arm itself then sees the set empty.
            if (Members.TryRemove(connection.Id, out _) && Interlocked.CompareExchange(ref _armed, 1, 1) == 1 && Members.IsEmpty)
            {
                Done.TrySetResult();
            }
        }
    }
}
