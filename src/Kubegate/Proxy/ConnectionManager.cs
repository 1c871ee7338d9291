using System.Collections.Concurrent;
using Kubegate.Stats;

namespace Kubegate.Proxy;

/// <summary>
/// Tracks every open proxied connection: one heartbeat a second enforces idle and duration timeouts for all of
/// them (no timer per connection), and shutdown waits for them to finish, then closes the rest.
/// </summary>
internal sealed class ConnectionManager : IDisposable
{
    private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<long, ProxyConnection> _connections = new();
    private readonly ITimer _heartbeat;
    private readonly Gauge _totalConnections;
    private readonly TimeProvider _time;
    private readonly long _ticksPerMillisecond;
    private TaskCompletionSource? _drained;
    private long _nextId;

    public ConnectionManager(TimeProvider time, StatsStore stats)
    {
        _time = time;
        _ticksPerMillisecond = Math.Max(1, time.TimestampFrequency / 1000);
        _totalConnections = stats.Gauge("server.total_connections");
        _heartbeat = time.CreateTimer(static s => ((ConnectionManager)s!).OnHeartbeat(), this, HeartbeatInterval, HeartbeatInterval);
    }

    public int Count => _connections.Count;

    public IEnumerable<ProxyConnection> Connections => _connections.Values;

    public long NextId() => Interlocked.Increment(ref _nextId);

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
            if (_connections.IsEmpty)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    /// <summary>Runs the timeouts now; the timer calls this every second, tests may call it directly.</summary>
    public void OnHeartbeat()
    {
        var now = NowMilliseconds();
        foreach (var connection in _connections.Values)
        {
            connection.OnHeartbeat(now);
        }
    }

    /// <summary>
    /// Waits until every connection has ended or <paramref name="timeout"/> passes (or <paramref name="cancellationToken"/>
    /// fires), then closes what is left. Returns the number of connections that had to be closed.
    /// </summary>
    public async Task<int> DrainAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A full fence (not just a release) so the emptiness check below cannot be reordered before this write,
        // which would let the last Remove miss the signal and the drain wait for its whole deadline.
        Interlocked.Exchange(ref _drained, drained);
        if (!_connections.IsEmpty)
        {
            try
            {
                await drained.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // Deadline reached: close what is left below.
            }
        }

        var closed = 0;
        foreach (var connection in _connections.Values)
        {
            connection.CloseForShutdown();
            closed++;
        }

        return closed;
    }

    public void Dispose() => _heartbeat.Dispose();
}
