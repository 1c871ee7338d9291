namespace Kubegate.Configuration;

/// <summary><c>Cluster.lb_policy</c>. kubegate implements ROUND_ROBIN, LEAST_REQUEST and RANDOM.</summary>
internal enum LbPolicy
{
    RoundRobin,
    LeastRequest,
    Random,
}
