namespace Kubegate.Health.Active;

/// <summary>
/// Checks one host once per call (HTTP request, TCP connect/send/receive). Reports failures as results, not
/// exceptions; the caller enforces the timeout through the token and treats cancellation as NETWORK_TIMEOUT.
/// </summary>
internal abstract class HealthProbe : IDisposable
{
    /// <summary><c>HTTP</c> or <c>TCP</c>, as Envoy names checkers in events.</summary>
    public abstract string CheckerType { get; }

    public abstract Task<ProbeResult> CheckAsync(CancellationToken cancellationToken);

    public virtual void Dispose()
    {
    }
}
