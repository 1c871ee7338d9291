namespace Kubegate.Health;

/// <summary>What one check result did to a host (Envoy's <c>HealthTransition</c>); it picks the next interval.</summary>
internal enum HealthTransition
{
    /// <summary>Nothing changed.</summary>
    Unchanged,

    /// <summary>The host changed state (healthy ⇄ unhealthy, or left the pending-first-check state).</summary>
    Changed,

    /// <summary>A threshold is being counted toward: the next check uses the edge interval.</summary>
    ChangePending,
}
