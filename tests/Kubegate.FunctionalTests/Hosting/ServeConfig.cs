using System.Net;

namespace Kubegate.FunctionalTests.Hosting;

/// <summary>A one-listener serve-mode configuration on disk (envoy.yaml, lds.yaml, cds.yaml), optionally with an admin port.</summary>
internal static class ServeConfig
{
    /// <param name="healthCheckJitter">When set, the cluster has an active TCP connect check whose first run waits this long.</param>
    /// <param name="accessLogPath">When set, the listener writes Envoy's default access-log format to this file.</param>
    public static void Write(string directory, int listenerPort, IPEndPoint upstream, int? adminPort = null, string version = "1", TimeSpan? healthCheckJitter = null, string? accessLogPath = null)
    {
        var admin = adminPort is { } port
            ? $$$"""
            admin:
              address: {socket_address: {address: 127.0.0.1, port_value: {{{port}}}}}

            """
            : string.Empty;
        File.WriteAllText(Path.Combine(directory, "envoy.yaml"), """
            node: {id: test, cluster: test}
            dynamic_resources:
              lds_config: {path_config_source: {path: lds.yaml}}
              cds_config: {path_config_source: {path: cds.yaml}}

            """ + admin);
        WriteListeners(directory, listenerPort, version, accessLogPath);
        File.WriteAllText(Path.Combine(directory, "cds.yaml"), $"""
            resources:
            - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
              name: c1
              type: STATIC
              connect_timeout: 1s
              load_assignment:
                cluster_name: c1
                endpoints:
                - lb_endpoints:
                  - endpoint:
                      address:
                        socket_address:
                          address: 127.0.0.1
                          port_value: {upstream.Port}
            """ + (healthCheckJitter is { } jitter ? $"""

              health_checks:
              - timeout: 1s
                interval: 5s
                initial_jitter: {jitter.TotalSeconds}s
                unhealthy_threshold: 1
                healthy_threshold: 1
                tcp_health_check: {"{}"}

            """ : "\n"));
    }

    /// <summary>Writes lds.yaml in place; a new <paramref name="version"/> changes its content (and so triggers a reload).</summary>
    public static void WriteListeners(string directory, int listenerPort, string version, string? accessLogPath = null) =>
        File.WriteAllText(Path.Combine(directory, "lds.yaml"), $"""
            version_info: "{version}"
            resources:
            - "@type": type.googleapis.com/envoy.config.listener.v3.Listener
              name: l1
              address:
                socket_address:
                  address: 127.0.0.1
                  port_value: {listenerPort}
              filter_chains:
              - filters:
                - name: envoy.filters.network.tcp_proxy
                  typed_config:
                    "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
                    stat_prefix: l1
                    cluster: c1
            """ + (accessLogPath is null ? "\n" : $$"""

                    access_log:
                    - name: envoy.access_loggers.file
                      typed_config:
                        "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
                        path: {{accessLogPath}}

            """));
}
