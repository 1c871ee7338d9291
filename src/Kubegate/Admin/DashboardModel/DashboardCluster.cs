namespace Kubegate.Admin.DashboardModel;

/// <summary>
/// A cluster, its counters and its endpoints (by priority). <see cref="Overflow"/> counts connections refused by the
/// circuit breaker's <see cref="MaxConnections"/> (UO): the dashboard shows them as an error, not only a number.
/// </summary>
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
    int MaxConnections,
    long Overflow,
    long MembershipChanges,
    IReadOnlyList<DashboardEndpoint> Endpoints);
