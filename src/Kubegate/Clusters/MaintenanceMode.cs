namespace Kubegate.Clusters;

/// <summary>An operator's maintenance state for one host (admin <c>/kubegate/endpoint/*</c>, <c>kubegate endpoint</c>).</summary>
internal enum MaintenanceMode
{
    /// <summary>In service (health decides).</summary>
    None,

    /// <summary>No new connections; open ones end by themselves (HAProxy's <c>set server state drain</c>).</summary>
    Drain,

    /// <summary>No new connections, and open ones are closed gently, one quiet moment at a time.</summary>
    Disable,
}
