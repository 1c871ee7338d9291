namespace Kubegate.Admin.DashboardModel;

/// <summary>A cluster, its counters and its endpoints (by priority).</summary>
internal sealed record DashboardCluster(
    string Name,
    bool Panic,
    int Healthy,
    int Total,
    string LbPolicy,
    long ActiveConnections,
    long TotalConnections,
    long RxBytes,
    long TxBytes,
    long ConnectFailures,
    long NoHealthyUpstream,
    long MembershipChanges,
    IReadOnlyList<DashboardEndpoint> Endpoints);
