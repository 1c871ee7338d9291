using System.Globalization;
using System.Net;
using System.Text;

namespace Kubegate.Soak.Harness;

/// <summary>
/// kubegate's config files in the run's directory (paths in them are relative to it, kubegate's working directory):
/// a bootstrap with the admin interface and file-based LDS/CDS; two listeners, <c>streams</c> to the echo cluster
/// and <c>api</c> to the apiserver cluster; each cluster's EDS file. <see cref="Write"/> writes version N of every
/// file; the versions differ only harmlessly (version_info, the echo cluster's lb_policy) and in the echo cluster's
/// endpoints, where the third echo server is left out of every even version.
/// </summary>
internal sealed class SoakConfig(string directory, int streamPort, int apiPort, int adminPort, IReadOnlyList<IPEndPoint> echoes, IReadOnlyList<IPEndPoint> apiservers)
{
    public const string Bootstrap = "envoy.yaml";

    /// <summary>The api cluster's health check: every second, each check given a second.</summary>
    public static readonly TimeSpan HealthInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(1);

    public string Directory { get; } = directory;

    public IPEndPoint StreamListener { get; } = new(IPAddress.Loopback, streamPort);

    public IPEndPoint ApiListener { get; } = new(IPAddress.Loopback, apiPort);

    public IPEndPoint Admin { get; } = new(IPAddress.Loopback, adminPort);

    /// <summary>The echo server that version N leaves out when N is even.</summary>
    public IPEndPoint FlappingEcho => echoes[^1];

    public static bool HasFlappingEcho(int version) => version % 2 == 1;

    /// <summary>Writes every file at <paramref name="version"/>: in place on even versions, by rename on odd ones (both ways operators update files).</summary>
    public void Write(int version)
    {
        var atomic = version % 2 == 1;
        if (version == 1)
        {
            Put(Bootstrap, BootstrapYaml(), atomic: false);
            Put("access.log", string.Empty, atomic: false);
        }

        // EDS before CDS before LDS, so a reader never sees a file that names one not yet written.
        Put("eds_echo.yaml", Eds("echo", version, HasFlappingEcho(version) ? echoes : echoes.Take(echoes.Count - 1)), atomic);
        Put("eds_api.yaml", Eds("api", version, apiservers), atomic);
        Put("cds.yaml", Cds(version), atomic);
        Put("lds.yaml", Lds(version), atomic);
    }

    private string BootstrapYaml() => $$$"""
        node: {id: kubegate-soak, cluster: kubegate-soak}
        dynamic_resources:
          lds_config: {path_config_source: {path: lds.yaml}}
          cds_config: {path_config_source: {path: cds.yaml}}
        admin:
          address: {socket_address: {address: 127.0.0.1, port_value: {{{Admin.Port}}} } }

        """;

    private string Lds(int version) => $"version_info: \"{version}\"\nresources:\n" + Listener("streams", StreamListener.Port, "echo") + Listener("api", ApiListener.Port, "api");

    private static string Listener(string name, int port, string cluster) => $$$"""
        - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
          name: {{{name}}}
          address: {socket_address: {address: 127.0.0.1, port_value: {{{port}}} } }
          filter_chains:
          - filters:
            - name: envoy.filters.network.tcp_proxy
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                stat_prefix: {{{name}}}
                cluster: {{{cluster}}}
                max_connect_attempts: 2
                access_log:
                - name: envoy.access_loggers.file
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                    path: access.log

        """;

    private static string Cds(int version)
    {
        // The echo cluster's balancer changes with every version: a harmless change kubegate must apply in place.
        var echoPolicy = version % 2 == 1 ? "ROUND_ROBIN" : "LEAST_REQUEST";
        var interval = Seconds(HealthInterval);
        var timeout = Seconds(HealthTimeout);
        return $$$"""
            version_info: "{{{version}}}"
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: echo
              type: EDS
              connect_timeout: 1s
              lb_policy: {{{echoPolicy}}}
              eds_cluster_config:
                eds_config: {path_config_source: {path: eds_echo.yaml}}
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: api
              type: EDS
              connect_timeout: 1s
              lb_policy: ROUND_ROBIN
              close_connections_on_host_health_failure: true
              eds_cluster_config:
                eds_config: {path_config_source: {path: eds_api.yaml}}
              health_checks:
              - timeout: {{{timeout}}}
                interval: {{{interval}}}
                no_traffic_interval: {{{interval}}}
                unhealthy_threshold: 2
                healthy_threshold: 2
                transport_socket_match_criteria: {health_check_tls: true}
                http_health_check: {path: /readyz}
              transport_socket_matches:
              - name: health_check_tls
                match: {health_check_tls: true}
                transport_socket:
                  name: envoy.transport_sockets.tls
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                    sni: kubernetes.default
                    common_tls_context:
                      validation_context:
                        trusted_ca: {filename: ca.crt}

            """;
    }

    private static string Eds(string cluster, int version, IEnumerable<IPEndPoint> endpoints)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"version_info: \"{version}\"\nresources:\n");
        text.Append("- \"@type\": type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment\n");
        text.Append(CultureInfo.InvariantCulture, $"  cluster_name: {cluster}\n  endpoints:\n  - lb_endpoints:\n");
        foreach (var endpoint in endpoints)
        {
            text.Append(CultureInfo.InvariantCulture, $"    - endpoint: {{address: {{socket_address: {{address: {endpoint.Address}, port_value: {endpoint.Port}}}}}}}\n");
        }

        return text.ToString();
    }

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString(CultureInfo.InvariantCulture) + "s";

    private void Put(string name, string content, bool atomic)
    {
        var path = Path.Combine(Directory, name);
        if (!atomic)
        {
            File.WriteAllText(path, content);
            return;
        }

        var temp = path + ".tmp";
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
