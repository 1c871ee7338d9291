using System.Net;
using System.Text;

namespace Kubegate.FunctionalTests.Reload;

/// <summary>Envoy config files as text: a bootstrap with file-based LDS/CDS, 127.0.0.1 listeners, EDS clusters.</summary>
internal static class ReloadConfig
{
    public const string Bootstrap = """
        node:
          id: kubegate-test
          cluster: kubegate
        dynamic_resources:
          lds_config:
            path_config_source:
              path: lds.yaml
          cds_config:
            path_config_source:
              path: cds.yaml
        """;

    public static string Lds(string version, params string[] listeners) =>
        $"version_info: \"{version}\"\nresources:\n" + string.Concat(listeners);

    public static string Listener(string name, string cluster, int port = 0) => $$"""
        - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
          name: {{name}}
          address: {socket_address: {address: 127.0.0.1, port_value: {{port}} } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: {{name}}
                cluster: {{cluster}}

        """;

    public static string Cds(string version, params string[] clusters) =>
        $"version_info: \"{version}\"\nresources:\n" + string.Concat(clusters);

    /// <param name="name">Cluster name.</param>
    /// <param name="edsPath">Its EDS file, relative to the config directory.</param>
    /// <param name="lbPolicy">lb_policy.</param>
    /// <param name="watchedDirectory">watched_directory.path, for a ConfigMap-style directory.</param>
    public static string Cluster(string name, string edsPath, string lbPolicy = "ROUND_ROBIN", string? watchedDirectory = null)
    {
        var watched = watchedDirectory is null ? string.Empty : $"\n        watched_directory: {{path: {watchedDirectory}}}";
        return $"""
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: {name}
              type: EDS
              connect_timeout: 1s
              lb_policy: {lbPolicy}
              eds_cluster_config:
                eds_config:
                  path_config_source:
                    path: {edsPath}{watched}

            """;
    }

    public static string Eds(string cluster, string version, IEnumerable<IPEndPoint> endpoints, uint weight = 1)
    {
        var builder = new StringBuilder();
        builder.Append("version_info: \"").Append(version).Append("\"\nresources:\n");
        builder.Append("- \"@type\": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment\n");
        builder.Append("  cluster_name: ").Append(cluster).Append('\n');
        builder.Append("  endpoints:\n  - lb_endpoints:\n");
        foreach (var endpoint in endpoints)
        {
            builder.Append("    - endpoint: {address: {socket_address: {address: ").Append(endpoint.Address)
                .Append(", port_value: ").Append(endpoint.Port).Append("}}}\n");
            builder.Append("      load_balancing_weight: ").Append(weight).Append('\n');
        }

        return builder.ToString();
    }
}
