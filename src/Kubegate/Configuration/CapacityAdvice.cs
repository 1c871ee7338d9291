namespace Kubegate.Configuration;

/// <summary>
/// Advice on a configuration Envoy accepts as it is but that caps a Kubernetes control plane silently: a cluster
/// without <c>circuit_breakers</c> <c>max_connections</c> refuses every connection past Envoy's default 1024 (flag UO),
/// while every endpoint looks healthy, and each kubelet, kube-proxy, controller and open watch holds one. Printed by
/// <c>--mode validate</c> and logged at start-up; it changes nothing (the file keeps Envoy's meaning). Kept out of the
/// loader's problems so a configuration's own warnings stay what the loader found in the file.
/// </summary>
internal static class CapacityAdvice
{
    public static IEnumerable<ConfigError> For(ConfigSnapshot snapshot) =>
        snapshot.Clusters
            .Where(c => c.MaxConnectionsIsDefault)
            .Select(c => new ConfigError(
                c.Location.File,
                c.Location.Line,
                "circuit_breakers",
                $"cluster {c.Name} sets no max_connections: Envoy's default of {ClusterConfig.DefaultMaxConnections} applies, and every connection past {ClusterConfig.DefaultMaxConnections} open ones is refused (UO)",
                "write circuit_breakers: {thresholds: [{max_connections: <2 x nodes + controllers + users, with room, e.g. 65536>}]}",
                ConfigErrorSeverity.Warning));
}
