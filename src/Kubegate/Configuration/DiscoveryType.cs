namespace Kubegate.Configuration;

/// <summary><c>Cluster.type</c>. kubegate implements STATIC and EDS; the DNS types are refused with a hint.</summary>
internal enum DiscoveryType
{
    Static,
    StrictDns,
    LogicalDns,
    Eds,
    OriginalDst,
}
