namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A fact that needs <see cref="BlackholeEndPoint"/>; skipped, with the reason, on a kernel that completes or refuses
/// connects to a full accept queue instead of dropping the SYN.
/// </summary>
internal sealed class BlackholeFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public BlackholeFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        // Runs once at discovery: attribute constructors cannot await.
        var (endPoint, reason) = BlackholeEndPoint.TryCreateAsync().GetAwaiter().GetResult();
        endPoint?.Dispose();
        return endPoint is null ? reason : null;
    }
}
