
namespace Kubegate.Proxy;

/// <summary>
/// When each connection becomes due to drain during a shutdown (<see cref="DrainStrategy"/>): immediate makes every
/// connection due at the start; gradual gives connection i of n (in a fixed shuffled order) the point
/// start + window × (i + 1) / (n + 1), so the closes spread evenly over the drain window. A due connection is closed
/// once it is quiet; that part is <see cref="ConnectionManager"/>'s, on its heartbeat.
/// </summary>
/// <remarks>
/// Envoy's gradual drain encourages each request with a probability that rises linearly over the window; with a
/// uniformly random drain time per connection, the expected k-th of n falls at k / (n + 1) of the window, which is
/// the point used here, without randomness. The order is a hash of the connection id rather than the id itself, so
/// the oldest connections (lowest ids) do not all go first, yet the same set of connections always gets the same
/// schedule.
/// </remarks>
internal sealed class DrainSchedule
{
    private readonly Dictionary<long, long>? _points;

    private DrainSchedule(DrainStrategy strategy, long startMs, long deadlineMs, Dictionary<long, long>? points)
    {
        Strategy = strategy;
        StartMs = startMs;
        DeadlineMs = deadlineMs;
        _points = points;
    }

    public DrainStrategy Strategy { get; }

    /// <summary>When the drain started (<see cref="ConnectionManager.NowMilliseconds"/> clock).</summary>
    public long StartMs { get; }

    /// <summary>When whatever is still open gets closed.</summary>
    public long DeadlineMs { get; }

    /// <summary>Plans the drain of the connections <paramref name="connectionIds"/> open at <paramref name="startMs"/>.</summary>
    public static DrainSchedule Create(DrainStrategy strategy, long startMs, TimeSpan window, IEnumerable<long> connectionIds)
    {
        // Clamped so that start + window cannot overflow for any --drain-time-s.
        var windowMs = (long)Math.Min(Math.Max(0, window.TotalMilliseconds), long.MaxValue / 4);
        var deadline = startMs + windowMs;
        if (strategy == DrainStrategy.Immediate)
        {
            return new DrainSchedule(strategy, startMs, deadline, points: null);
        }

        var order = connectionIds.Distinct().OrderBy(Mix).ThenBy(id => id).ToArray();
        var points = new Dictionary<long, long>(order.Length);
        for (var i = 0; i < order.Length; i++)
        {
            points[order[i]] = startMs + (long)((double)windowMs * (i + 1) / (order.Length + 1));
        }

        return new DrainSchedule(strategy, startMs, deadline, points);
    }

    /// <summary>
    /// When <paramref name="connectionId"/> becomes due. A connection the plan does not know (accepted as the
    /// listeners closed) is due at once: it is the newest, and nobody is waiting for it to go gradually.
    /// </summary>
    public long DrainPoint(long connectionId) =>
        _points is not null && _points.TryGetValue(connectionId, out var point) ? point : StartMs;

    public bool IsDue(long connectionId, long nowMs) => nowMs >= DrainPoint(connectionId);

    // SplitMix64's finalizer: consecutive ids land far apart, so the order looks shuffled but is fixed.
    private static ulong Mix(long id)
    {
        var z = unchecked((ulong)id + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }
}
