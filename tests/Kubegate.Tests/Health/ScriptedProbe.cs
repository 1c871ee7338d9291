using Kubegate.Health;
using Kubegate.Health.Active;

namespace Kubegate.Tests.Health;

/// <summary>
/// A probe whose answers the test sets: a fixed <see cref="Next"/> result (completing synchronously, so a whole check
/// runs inside <see cref="ManualTimeProvider.Advance"/>), or <see cref="Hang"/> until the timeout cancels it.
/// </summary>
internal sealed class ScriptedProbe : HealthProbe
{
    private int _calls;

    public ProbeResult Next { get; set; } = ProbeResult.Success("ok", 200);

    /// <summary>When true, checks never answer; the session's timeout cancels them.</summary>
    public bool Hang { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public bool Disposed { get; private set; }

    public override string CheckerType => "HTTP";

    public void Pass() => Next = ProbeResult.Success("HTTP 200", 200);

    public void FailNetwork(string reason = "connection refused") => Next = ProbeResult.NetworkFailure(reason);

    public void FailActive(int status = 500) => Next = ProbeResult.ActiveFailure($"HTTP {status}", status);

    public void FailRetriable(int status = 503) => Next = ProbeResult.ActiveFailure($"HTTP {status}", status, retriable: true);

    public override Task<ProbeResult> CheckAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return Hang ? HangAsync(cancellationToken) : Task.FromResult(Next);
    }

    public override void Dispose() => Disposed = true;

    private static async Task<ProbeResult> HangAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        throw new InvalidOperationException("unreachable");
    }
}
