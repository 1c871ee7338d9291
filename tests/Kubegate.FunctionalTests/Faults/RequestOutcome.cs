namespace Kubegate.FunctionalTests.Faults;

/// <summary>One client request of a <see cref="RequestLoad"/>: when it started and, if it failed, why.</summary>
internal sealed record RequestOutcome(DateTimeOffset Started, string? Error)
{
    public bool Failed => Error is not null;
}
