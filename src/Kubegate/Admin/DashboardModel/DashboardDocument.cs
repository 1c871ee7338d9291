namespace Kubegate.Admin.DashboardModel;

/// <summary>
/// <c>/dashboard/state</c>: everything the web dashboard and <c>kubegate status</c> show. Written and read through
/// <see cref="DashboardJsonContext"/> (source-generated, AOT-safe), so the writer and the reader share these names.
/// </summary>
internal sealed record DashboardDocument(
    DashboardServer Server,
    IReadOnlyList<DashboardListenerRow> Listeners,
    IReadOnlyList<DashboardCluster> Clusters,
    DashboardConfig Config)
{
    /// <summary>What needs an operator: certificates expired or expiring within 30 days, apiserver discovery problems.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
