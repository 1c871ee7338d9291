using Kubegate.Clusters;

namespace Kubegate.Health.Outlier;

/// <summary>
/// Outlier state of one host. The consecutive-failure counters are written on the connect path with interlocked
/// operations (and written only when they change, so a healthy host's successes cost a read); the ejection state
/// is read and written under the health lock.
/// </summary>
internal sealed class OutlierHostMonitor
{
    private int _consecutive5xx;
    private int _consecutiveGatewayFailure;
    private int _consecutiveLocalOriginFailure;

    public OutlierHostMonitor(EndpointState host) => Host = host;

    public EndpointState Host { get; }

    public int Consecutive5xx => Volatile.Read(ref _consecutive5xx);

    public int ConsecutiveGatewayFailure => Volatile.Read(ref _consecutiveGatewayFailure);

    public int ConsecutiveLocalOriginFailure => Volatile.Read(ref _consecutiveLocalOriginFailure);

    /// <summary>True while ejected (the host carries <c>FAILED_OUTLIER_CHECK</c>).</summary>
    public bool Ejected { get; set; }

    /// <summary>How many times the host was ejected.</summary>
    public int NumEjections { get; set; }

    /// <summary>
    /// The ejection-time multiplier: +1 per ejection while <c>base × backoff</c> is below <c>max_ejection_time</c>,
    /// −1 for every interval the host spends un-ejected.
    /// </summary>
    public int EjectTimeBackoff { get; set; }

    /// <summary><see cref="TimeProvider.GetTimestamp"/> of the last ejection.</summary>
    public long LastEjectionTimestamp { get; set; }

    /// <summary>The <c>max_ejection_time_jitter</c> share drawn for the current ejection.</summary>
    public TimeSpan Jitter { get; set; }

    public DateTimeOffset? LastEjectionTime { get; set; }

    public DateTimeOffset? LastUnejectionTime { get; set; }

    public int Increment5xx() => Interlocked.Increment(ref _consecutive5xx);

    public int IncrementGatewayFailure() => Interlocked.Increment(ref _consecutiveGatewayFailure);

    public int IncrementLocalOriginFailure() => Interlocked.Increment(ref _consecutiveLocalOriginFailure);

    public void Reset5xx() => ResetIfSet(ref _consecutive5xx);

    public void ResetGatewayFailure() => ResetIfSet(ref _consecutiveGatewayFailure);

    public void ResetLocalOriginFailure() => ResetIfSet(ref _consecutiveLocalOriginFailure);

    public void ResetAll()
    {
        Reset5xx();
        ResetGatewayFailure();
        ResetLocalOriginFailure();
    }

    private static void ResetIfSet(ref int counter)
    {
        if (Volatile.Read(ref counter) != 0)
        {
            Interlocked.Exchange(ref counter, 0);
        }
    }
}
