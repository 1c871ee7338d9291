using System.Globalization;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Checks that need more than one resource: duplicate names and addresses, tcp_proxy cluster references, and
/// settings that only make sense together with the endpoints (plaintext checks on 6443, the ejection cap).
/// </summary>
internal static class SnapshotValidator
{
    private const string TlsCheckFix =
        "turn on TLS for the check: add to the cluster transport_socket_matches: [{name: tls, match: {tls: true}, transport_socket: "
        + "{name: envoy.transport_sockets.tls, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext, "
        + "common_tls_context: {validation_context: {trusted_ca: {filename: /etc/kubernetes/pki/ca.crt}}}}}}] and to the health check "
        + "transport_socket_match_criteria: {tls: true}";

    /// <summary>Keeps the first listener of each name and of each address; reports the others.</summary>
    /// <param name="acrossFilesOnly">Report only pairs from different files (same-file pairs were reported by the file's parse).</param>
    public static List<Placed<ListenerConfig>> CheckListeners(IEnumerable<Placed<ListenerConfig>> listeners, List<ConfigError> problems, bool acrossFilesOnly)
    {
        var byName = new Dictionary<string, Placed<ListenerConfig>>(StringComparer.Ordinal);
        var byAddress = new Dictionary<SocketAddressConfig, Placed<ListenerConfig>>();
        var kept = new List<Placed<ListenerConfig>>();
        foreach (var item in listeners)
        {
            var listener = item.Resource;
            if (byName.TryGetValue(listener.Name, out var first))
            {
                if (ShouldReport(first.Resource.Location, listener.Location, acrossFilesOnly))
                {
                    problems.Add(new ConfigError(
                        listener.Location.File,
                        listener.Location.Line,
                        item.Path,
                        $"duplicate listener {listener.Name} found",
                        $"listener names must be unique; the first one is at {first.Resource.Location}"));
                }

                continue;
            }

            if (listener.Address.Port != 0 && byAddress.TryGetValue(listener.Address, out var other))
            {
                if (ShouldReport(other.Resource.Location, listener.Location, acrossFilesOnly))
                {
                    problems.Add(new ConfigError(
                        listener.Location.File,
                        listener.Location.Line,
                        MessageReader.Child(item.Path, "address"),
                        $"listener '{listener.Name}' has duplicate address '{listener.Address}' as existing listener '{other.Resource.Name}'",
                        "give each listener its own port"));
                }

                continue;
            }

            byName.Add(listener.Name, item);
            byAddress.TryAdd(listener.Address, item);
            kept.Add(item);
        }

        return kept;
    }

    /// <summary>Keeps the first cluster of each name; reports the others.</summary>
    public static List<Placed<ClusterConfig>> CheckClusters(IEnumerable<Placed<ClusterConfig>> clusters, List<ConfigError> problems, bool acrossFilesOnly)
    {
        var byName = new Dictionary<string, Placed<ClusterConfig>>(StringComparer.Ordinal);
        var kept = new List<Placed<ClusterConfig>>();
        foreach (var item in clusters)
        {
            var cluster = item.Resource;
            if (byName.TryGetValue(cluster.Name, out var first))
            {
                if (ShouldReport(first.Resource.Location, cluster.Location, acrossFilesOnly))
                {
                    problems.Add(new ConfigError(
                        cluster.Location.File,
                        cluster.Location.Line,
                        item.Path,
                        $"duplicate cluster {cluster.Name} found",
                        $"cluster names must be unique; the first one is at {first.Resource.Location}"));
                }

                continue;
            }

            byName.Add(cluster.Name, item);
            kept.Add(item);
        }

        return kept;
    }

    public static void CheckReferences(
        IReadOnlyList<Placed<ListenerConfig>> listeners,
        IReadOnlyList<Placed<ClusterConfig>> clusters,
        IReadOnlyDictionary<string, ClusterLoadAssignmentConfig> assignments,
        IEnumerable<string> rejectedClusterNames,
        List<ConfigError> problems)
    {
        // A cluster that exists but was rejected gets its own errors; "not defined" would only mislead.
        var names = new HashSet<string>(clusters.Select(c => c.Resource.Name).Concat(rejectedClusterNames), StringComparer.Ordinal);
        foreach (var (listener, path) in listeners)
        {
            var index = 0;
            foreach (var chain in listener.AllFilterChains)
            {
                var chainPath = ReferenceEquals(chain, listener.DefaultFilterChain) ? "default_filter_chain" : $"filter_chains[{index++}]";
                var proxyPath = MessageReader.Child(path, $"{chainPath}.filters[{chain.Filters.Length + (chain.SniCluster ? 1 : 0)}].typed_config");
                var tcpProxy = chain.TcpProxy;
                var targets = tcpProxy.Cluster is { } single
                    ? [(single, MessageReader.Child(proxyPath, "cluster"))]
                    : tcpProxy.WeightedClusters.Select((w, i) => (w.Name, MessageReader.Child(proxyPath, $"weighted_clusters.clusters[{i}].name"))).ToList();
                foreach (var (target, targetPath) in targets)
                {
                    if (!names.Contains(target) && !chain.SniCluster)
                    {
                        var location = tcpProxy.ClusterLocation.IsKnown ? tcpProxy.ClusterLocation : listener.Location;
                        problems.Add(new ConfigError(
                            location.File,
                            location.Line,
                            targetPath,
                            $"cluster '{target}' is not defined: Envoy looks the cluster up per connection, so connections to listener '{listener.Name}' are closed with response flag NC until a cluster named '{target}' exists",
                            $"define cluster '{target}' in the CDS file (or under static_resources.clusters), or fix the name",
                            ConfigErrorSeverity.Warning));
                    }
                }
            }
        }

        foreach (var (cluster, path) in clusters)
        {
            assignments.TryGetValue(cluster.Name, out var assignment);
            CheckPlaintextApiserverChecks(cluster, path, assignment, problems);
            CheckEjectionCap(cluster, path, assignment, problems);
        }
    }

    private static void CheckPlaintextApiserverChecks(ClusterConfig cluster, string path, ClusterLoadAssignmentConfig? assignment, List<ConfigError> problems)
    {
        if (assignment is null)
        {
            return;
        }

        for (var i = 0; i < cluster.HealthChecks.Length; i++)
        {
            var healthCheck = cluster.HealthChecks[i];
            if (healthCheck.Http is null || cluster.SelectHealthCheckTransportSocket(healthCheck)?.Tls is not null)
            {
                continue;
            }

            if (assignment.Endpoints.Any(e => (e.HealthCheckPort ?? e.Address.Port) == 6443))
            {
                problems.Add(new ConfigError(
                    cluster.Location.File,
                    healthCheck.Location.Line,
                    MessageReader.Child(path, $"health_checks[{i}].http_health_check"),
                    "plaintext HTTP health check against port 6443: apiservers answer only HTTPS there, so every check fails and the endpoints are marked unhealthy",
                    TlsCheckFix,
                    ConfigErrorSeverity.Warning));
            }
        }
    }

    private static void CheckEjectionCap(ClusterConfig cluster, string path, ClusterLoadAssignmentConfig? assignment, List<ConfigError> problems)
    {
        if (cluster.OutlierDetection is not { AlwaysEjectOneHost: false } outlier || assignment is null || assignment.Endpoints.IsEmpty)
        {
            return;
        }

        var hosts = assignment.Endpoints.Length;
        if (100.0 / hosts <= outlier.MaxEjectionPercent)
        {
            return;
        }

        var needed = (int)Math.Ceiling(100.0 / hosts);
        problems.Add(new ConfigError(
            cluster.Location.File,
            cluster.Location.Line,
            MessageReader.Child(path, "outlier_detection.max_ejection_percent"),
            string.Create(
                CultureInfo.InvariantCulture,
                $"with {hosts} endpoint(s) and max_ejection_percent {outlier.MaxEjectionPercent} no endpoint can ever be ejected (Envoy ejects only while ejected/total stays within that percentage)"),
            string.Create(CultureInfo.InvariantCulture, $"write max_ejection_percent: {needed} or more, or always_eject_one_host: true"),
            ConfigErrorSeverity.Warning));
    }

    private static bool ShouldReport(SourceLocation first, SourceLocation second, bool acrossFilesOnly) =>
        !acrossFilesOnly || !string.Equals(first.File, second.File, StringComparison.Ordinal);
}
