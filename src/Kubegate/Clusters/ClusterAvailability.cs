namespace Kubegate.Clusters;

/// <summary>
/// The hosts new connections of a cluster go to, published as one immutable snapshot so a reader never sees the
/// host set of one rebuild with the panic state of another (YARP's <c>ClusterDestinationsState</c>).
/// </summary>
/// <param name="Hosts">The healthy hosts; the degraded ones when none is healthy; every host in panic mode.</param>
/// <param name="Panic">True while too few hosts are usable and the balancer ignores health.</param>
internal sealed record ClusterAvailability(EndpointSet Hosts, bool Panic)
{
    public static readonly ClusterAvailability Empty = new(EndpointSet.Empty, Panic: false);
}
