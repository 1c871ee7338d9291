namespace Kubegate.Soak.Faults;

/// <summary>
/// When the flapping apiserver's <c>/readyz</c> was made to fail and to pass again, so an error can be told apart:
/// the api cluster has <c>close_connections_on_host_health_failure</c>, so kubegate closes that apiserver's
/// connections once its check fails, and a watch or request on one of them ends early by design.
/// </summary>
internal sealed class HealthFlapWindows(string instance, TimeSpan closeGrace)
{
    private readonly Lock _lock = new();
    private readonly List<(DateTime Failed, DateTime? Restored)> _windows = [];

    /// <summary>The name of the apiserver whose health flaps.</summary>
    public string Instance { get; } = instance;

    /// <summary>
    /// How long after <c>/readyz</c> starts failing kubegate may still be closing that apiserver's connections: one
    /// check (interval + timeout) plus slack for a loaded machine. Errors on connections whose apiserver is unknown
    /// (a request that failed before its answer named it) are expected only within this grace.
    /// </summary>
    public TimeSpan CloseGrace { get; } = closeGrace;

    public void FailureStarted(DateTime at)
    {
        lock (_lock)
        {
            _windows.Add((at, null));
        }
    }

    public void FailureEnded(DateTime at)
    {
        lock (_lock)
        {
            if (_windows.Count > 0 && _windows[^1].Restored is null)
            {
                _windows[^1] = (_windows[^1].Failed, at);
            }
        }
    }

    /// <summary>
    /// Why an error at <paramref name="at"/> on a connection to <paramref name="instance"/> (null: not known) is expected,
    /// or null when the flap does not explain it. A connection known to be to the flapping apiserver may end any time
    /// while its check fails (plus the grace, for the last close to reach the client); one to an unknown apiserver only
    /// within the grace after the failure started; one to any other apiserver never.
    /// </summary>
    public string? Explains(string? instance, DateTime at)
    {
        if (instance is not null && instance != Instance)
        {
            return null;
        }

        lock (_lock)
        {
            foreach (var (failed, restored) in _windows)
            {
                var end = instance is null ? failed + CloseGrace : (restored ?? DateTime.MaxValue.AddDays(-1)) + CloseGrace;
                if (at >= failed && at <= end)
                {
                    return $"{instance ?? "apiserver unknown"}: closed by the health flap of {Instance} at {failed:HH:mm:ss}";
                }
            }
        }

        return null;
    }
}
