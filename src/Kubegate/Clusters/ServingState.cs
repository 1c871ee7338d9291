namespace Kubegate.Clusters;

/// <summary>A host's state as an operator reads it (status, dashboard); Envoy's health flags stay beside it.</summary>
internal enum ServingState
{
    /// <summary>Takes new connections (healthy, or degraded).</summary>
    Up,

    /// <summary>Takes no new connections; its open ones are left to end (readiness failing with an answer, EDS DRAINING, or an operator's drain).</summary>
    Draining,

    /// <summary>Taken out by an operator: no new connections, open ones closed gently.</summary>
    Disabled,

    /// <summary>Failed: refused, timed out, or failed a liveness or TCP check.</summary>
    Down,
}
