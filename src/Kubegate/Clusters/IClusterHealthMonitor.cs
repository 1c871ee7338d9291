using Kubegate.Configuration;

namespace Kubegate.Clusters;

/// <summary>
/// What a cluster tells the health machinery of that cluster (active checks and outlier detection, implemented in
/// <c>Health/</c> and attached by whoever creates clusters). Declared here so that <c>Clusters/</c> never imports
/// <c>Health/</c>: health results flow into the cluster as host flags and an availability rebuild, never the
/// other way.
/// </summary>
/// <remarks>
/// Locking: <see cref="InitialFlags"/> and <see cref="KeepOnRemoval"/> are called under the cluster's data lock and
/// must be pure (no lock, no call back into the cluster). <see cref="OnMembershipChanged"/> is called after the
/// cluster released its data lock, in the order the changes were made (the cluster's writers stay serialized); it
/// must not call back into the cluster either: the cluster rebuilds its availability itself once it returns.
/// </remarks>
internal interface IClusterHealthMonitor : IDisposable
{
    /// <summary>A proxied connection's connect result for <paramref name="host"/> (the data path's only call).</summary>
    void OnConnectResult(EndpointState host, UpstreamConnectResult result);

    /// <summary>The health flags a host joining the cluster under <paramref name="config"/> starts with.</summary>
    HealthFlags InitialFlags(ClusterConfig config, EndpointState host);

    /// <summary>
    /// True when a host that left the EDS assignment should stay, flagged <c>PENDING_DYNAMIC_REMOVAL</c> and still
    /// routed, until it fails a check.
    /// </summary>
    bool KeepOnRemoval(ClusterConfig config, EndpointState host);

    /// <summary>
    /// The cluster now runs <paramref name="config"/> with <paramref name="hosts"/>; <paramref name="added"/> joined
    /// (with <see cref="InitialFlags"/> already set) and <paramref name="removed"/> left.
    /// </summary>
    void OnMembershipChanged(ClusterConfig config, IReadOnlyList<EndpointState> hosts, IReadOnlyList<EndpointState> added, IReadOnlyList<EndpointState> removed);
}
