using Kubegate.Clusters;

namespace Kubegate.Health.Active;

/// <summary>
/// The checks of one host: a one-shot timer from the <see cref="TimeProvider"/> starts a probe; the result goes to
/// the checker's state machine, which re-arms the timer with the next interval. At most one probe runs at a time.
/// </summary>
/// <remarks>The counters and flags below are read and written only under the cluster's health lock (by the checker).</remarks>
internal sealed class HealthCheckSession : IDisposable
{
    private readonly ActiveHealthChecker _checker;
    private readonly HealthProbe _probe;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _firstResult = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public HealthCheckSession(ActiveHealthChecker checker, EndpointState host, HealthProbe probe, bool warming)
    {
        _checker = checker;
        _probe = probe;
        Host = host;
        Warming = warming;
        _timer = checker.Time.CreateTimer(static s => ((HealthCheckSession)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public EndpointState Host { get; }

    public string CheckerType => _probe.CheckerType;

    /// <summary>No result yet: the first success makes the host healthy at once, whatever <c>healthy_threshold</c>.</summary>
    public bool FirstCheck { get; set; } = true;

    /// <summary>
    /// The host was already serving when the check was configured (a reload added or changed the check): it stays
    /// in use until its first result, and a first failure fails it at once, as Envoy's warming of the new cluster would.
    /// </summary>
    public bool Warming { get; set; }

    /// <summary>Successes counted toward <c>healthy_threshold</c> while the host is unhealthy (Envoy's <c>num_healthy_</c>).</summary>
    public uint ConsecutiveSuccesses { get; set; }

    /// <summary>Failures counted toward <c>unhealthy_threshold</c> while the host is healthy (Envoy's <c>num_unhealthy_</c>).</summary>
    public uint ConsecutiveFailures { get; set; }

    /// <summary>
    /// Checks in a row that got no answer (refused, timed out, TLS failed, liveness failed): a draining host goes down
    /// after <c>unhealthy_threshold</c> of them, not at the first one a loaded machine times out.
    /// </summary>
    public uint ConsecutiveUnanswered { get; set; }

    public bool IsStopped => _stopping.IsCancellationRequested;

    /// <summary>Completes at the first result (or when the session stops first): what start-up waits for.</summary>
    public Task FirstResult => _firstResult.Task;

    /// <summary>Runs the next check after <paramref name="delay"/> (zero: as soon as a pool thread is free).</summary>
    public void Schedule(TimeSpan delay)
    {
        if (!IsStopped)
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _timer.Dispose();
        _probe.Dispose();
        _firstResult.TrySetResult();
    }

    private void OnTimer() => _ = RunAsync();

    private async Task RunAsync()
    {
        if (IsStopped)
        {
            return;
        }

        var time = _checker.Time;
        var timeoutValue = _checker.Config.Timeout;
        _checker.Stats.Attempt.Increment();
        var started = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(timeoutValue, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        ProbeResult result;
        try
        {
            // WaitAsync: a probe that ignores the token still times out on schedule.
            result = await _probe.CheckAsync(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (Exception) when (IsStopped)
        {
            return;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            result = ProbeResult.Timeout(timeoutValue);
        }
        catch (Exception ex)
        {
            result = ProbeResult.NetworkFailure(HealthProbeErrors.Describe(ex));
        }

        if (!result.Succeeded && timeout.IsCancellationRequested)
        {
            // The probe noticed the cancellation itself and reported it as a broken connection.
            result = ProbeResult.Timeout(timeoutValue);
        }

        _checker.OnResult(this, result, time.GetElapsedTime(started));
        _firstResult.TrySetResult();
    }
}
