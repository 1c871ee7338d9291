using Kubegate.Clusters;

namespace Kubegate.Health.Active;

/// <summary>What one check result does to a host, as <see cref="ActiveHealthPolicy"/> decided it.</summary>
/// <param name="Set">Flags to set.</param>
/// <param name="Clear">Flags to clear.</param>
/// <param name="Transition">Envoy's transition (drives the next interval).</param>
/// <param name="Reason">Why, for the host's change record and the log.</param>
/// <param name="BecameHealthy">The host turned healthy by this result.</param>
/// <param name="BecameUnhealthy">The host turned unhealthy by this result.</param>
/// <param name="Counters">The host's counters after this result.</param>
internal readonly record struct ActiveHealthVerdict(
    HealthFlags Set,
    HealthFlags Clear,
    HealthTransition Transition,
    string Reason,
    bool BecameHealthy,
    bool BecameUnhealthy,
    ActiveHealthCounters Counters);
