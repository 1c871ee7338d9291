using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kubegate.Configuration;

namespace Kubegate.Admin;

/// <summary>
/// <c>/config_dump</c>: the configuration in force as Envoy's <c>envoy.admin.v3.ConfigDump</c> (proto-JSON), in
/// Envoy's order: bootstrap, clusters, endpoints (only with <c>?include_eds</c>), listeners. Private key material
/// never appears: key files, inline keys and any string holding a PEM private key print as <c>[redacted]</c>.
/// </summary>
internal static class ConfigDumpFormatter
{
    public const string Redacted = "[redacted]";

    /// <summary>The <c>?resource=</c> values understood.</summary>
    public static readonly string[] Resources =
        ["static_clusters", "dynamic_active_clusters", "static_listeners", "dynamic_listeners", "static_endpoint_configs", "dynamic_endpoint_configs"];

    private const string AdminType = "type.googleapis.com/envoy.admin.v3.";

    /// <summary>The whole dump; null <paramref name="resource"/> means every config.</summary>
    /// <returns>The JSON, or null when <paramref name="resource"/> is not one of <see cref="Resources"/>.</returns>
    public static string? Format(ConfigSnapshot snapshot, bool includeEds, string? resource = null)
    {
        if (resource is not null && Array.IndexOf(Resources, resource) < 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("configs");
            if (resource is null)
            {
                WriteBootstrapDump(json, snapshot);
                WriteClustersDump(json, snapshot);
                if (includeEds)
                {
                    WriteEndpointsDump(json, snapshot);
                }

                WriteListenersDump(json, snapshot);
            }
            else
            {
                WriteResource(json, snapshot, resource);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteResource(Utf8JsonWriter json, ConfigSnapshot snapshot, string resource)
    {
        switch (resource)
        {
            case "static_clusters":
                foreach (var cluster in StaticClusters(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ClustersConfigDump.StaticCluster");
                    WriteClusterEntry(json, cluster, version: null);
                }

                break;
            case "dynamic_active_clusters":
                foreach (var cluster in DynamicClusters(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ClustersConfigDump.DynamicCluster");
                    WriteClusterEntry(json, cluster, Version(snapshot, snapshot.Bootstrap.CdsConfig));
                }

                break;
            case "static_listeners":
                foreach (var listener in StaticListeners(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ListenersConfigDump.StaticListener");
                    json.WritePropertyName("listener");
                    WriteListener(json, listener);
                    json.WriteEndObject();
                }

                break;
            case "dynamic_listeners":
                foreach (var listener in DynamicListeners(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "ListenersConfigDump.DynamicListener");
                    WriteDynamicListenerBody(json, listener, Version(snapshot, snapshot.Bootstrap.LdsConfig));
                }

                break;
            case "static_endpoint_configs":
                foreach (var cluster in StaticClusters(snapshot))
                {
                    if (cluster.LoadAssignment is { } assignment)
                    {
                        json.WriteStartObject();
                        json.WriteString("@type", AdminType + "EndpointsConfigDump.StaticEndpointConfig");
                        json.WritePropertyName("endpoint_config");
                        WriteAssignment(json, assignment, withType: true);
                        json.WriteEndObject();
                    }
                }

                break;
            default:
                foreach (var (name, assignment, version) in DynamicAssignments(snapshot))
                {
                    json.WriteStartObject();
                    json.WriteString("@type", AdminType + "EndpointsConfigDump.DynamicEndpointConfig");
                    WriteOptional(json, "version_info", version);
                    json.WritePropertyName("endpoint_config");
                    WriteAssignment(json, assignment with { ClusterName = name }, withType: true);
                    json.WriteEndObject();
                }

                break;
        }
    }

    private static void WriteBootstrapDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        var bootstrap = snapshot.Bootstrap;
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "BootstrapConfigDump");
        json.WriteStartObject("bootstrap");
        if (bootstrap.NodeId is not null || bootstrap.NodeCluster is not null)
        {
            json.WriteStartObject("node");
            WriteOptional(json, "id", bootstrap.NodeId);
            WriteOptional(json, "cluster", bootstrap.NodeCluster);
            json.WriteEndObject();
        }

        json.WriteStartObject("static_resources");
        json.WriteStartArray("listeners");
        foreach (var listener in bootstrap.StaticListeners)
        {
            WriteListener(json, listener);
        }

        json.WriteEndArray();
        json.WriteStartArray("clusters");
        foreach (var cluster in bootstrap.StaticClusters)
        {
            WriteCluster(json, cluster);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        if (bootstrap.LdsConfig is not null || bootstrap.CdsConfig is not null)
        {
            json.WriteStartObject("dynamic_resources");
            WriteConfigSource(json, "lds_config", bootstrap.LdsConfig);
            WriteConfigSource(json, "cds_config", bootstrap.CdsConfig);
            json.WriteEndObject();
        }

        if (bootstrap.Admin is { } admin)
        {
            json.WriteStartObject("admin");
            WriteOptional(json, "access_log_path", admin.AccessLogPath);
            if (admin.AccessLog.Length > 0)
            {
                json.WriteStartArray("access_log");
                foreach (var log in admin.AccessLog)
                {
                    WriteAccessLog(json, log);
                }

                json.WriteEndArray();
            }

            if (admin.Address is { } address)
            {
                WriteAddress(json, "address", address);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteClustersDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "ClustersConfigDump");
        var cdsVersion = Version(snapshot, snapshot.Bootstrap.CdsConfig);
        WriteOptional(json, "version_info", cdsVersion);
        json.WriteStartArray("static_clusters");
        foreach (var cluster in StaticClusters(snapshot))
        {
            json.WriteStartObject();
            WriteClusterEntry(json, cluster, version: null);
        }

        json.WriteEndArray();
        json.WriteStartArray("dynamic_active_clusters");
        foreach (var cluster in DynamicClusters(snapshot))
        {
            json.WriteStartObject();
            WriteClusterEntry(json, cluster, cdsVersion);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteEndpointsDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "EndpointsConfigDump");
        json.WriteStartArray("static_endpoint_configs");
        foreach (var cluster in StaticClusters(snapshot))
        {
            if (cluster.LoadAssignment is { } assignment)
            {
                json.WriteStartObject();
                json.WritePropertyName("endpoint_config");
                WriteAssignment(json, assignment, withType: true);
                json.WriteEndObject();
            }
        }

        json.WriteEndArray();
        json.WriteStartArray("dynamic_endpoint_configs");
        foreach (var (name, assignment, version) in DynamicAssignments(snapshot))
        {
            json.WriteStartObject();
            WriteOptional(json, "version_info", version);
            json.WritePropertyName("endpoint_config");
            WriteAssignment(json, assignment with { ClusterName = name }, withType: true);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteListenersDump(Utf8JsonWriter json, ConfigSnapshot snapshot)
    {
        json.WriteStartObject();
        json.WriteString("@type", AdminType + "ListenersConfigDump");
        var ldsVersion = Version(snapshot, snapshot.Bootstrap.LdsConfig);
        WriteOptional(json, "version_info", ldsVersion);
        json.WriteStartArray("static_listeners");
        foreach (var listener in StaticListeners(snapshot))
        {
            json.WriteStartObject();
            json.WritePropertyName("listener");
            WriteListener(json, listener);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("dynamic_listeners");
        foreach (var listener in DynamicListeners(snapshot))
        {
            json.WriteStartObject();
            WriteDynamicListenerBody(json, listener, ldsVersion);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    // Closes the object the caller opened.
    private static void WriteClusterEntry(Utf8JsonWriter json, ClusterConfig cluster, string? version)
    {
        WriteOptional(json, "version_info", version);
        json.WritePropertyName("cluster");
        WriteCluster(json, cluster);
        json.WriteEndObject();
    }

    // Closes the object the caller opened.
    private static void WriteDynamicListenerBody(Utf8JsonWriter json, ListenerConfig listener, string? version)
    {
        json.WriteString("name", listener.Name);
        json.WriteStartObject("active_state");
        WriteOptional(json, "version_info", version);
        json.WritePropertyName("listener");
        WriteListener(json, listener);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static IEnumerable<ClusterConfig> StaticClusters(ConfigSnapshot snapshot) =>
        snapshot.Clusters.Where(c => IsStatic(snapshot, c.Name));

    private static IEnumerable<ClusterConfig> DynamicClusters(ConfigSnapshot snapshot) =>
        snapshot.Clusters.Where(c => !IsStatic(snapshot, c.Name));

    private static IEnumerable<ListenerConfig> StaticListeners(ConfigSnapshot snapshot) =>
        snapshot.Listeners.Where(l => snapshot.Bootstrap.StaticListeners.Any(s => string.Equals(s.Name, l.Name, StringComparison.Ordinal)));

    private static IEnumerable<ListenerConfig> DynamicListeners(ConfigSnapshot snapshot) =>
        snapshot.Listeners.Where(l => !snapshot.Bootstrap.StaticListeners.Any(s => string.Equals(s.Name, l.Name, StringComparison.Ordinal)));

    private static bool IsStatic(ConfigSnapshot snapshot, string name) =>
        snapshot.Bootstrap.StaticClusters.Any(c => string.Equals(c.Name, name, StringComparison.Ordinal));

    private static IEnumerable<(string Name, ClusterLoadAssignmentConfig Assignment, string? Version)> DynamicAssignments(ConfigSnapshot snapshot)
    {
        foreach (var cluster in snapshot.Clusters)
        {
            if (cluster.Type == DiscoveryType.Eds && snapshot.Assignments.TryGetValue(cluster.Name, out var assignment))
            {
                yield return (cluster.ExpectedEdsClusterName, assignment, Version(snapshot, cluster.EdsConfig));
            }
        }
    }

    private static string? Version(ConfigSnapshot snapshot, ConfigSourceConfig? source) =>
        source is not null && snapshot.VersionInfo.TryGetValue(source.FullPath, out var version) ? version : null;

    private static void WriteCluster(Utf8JsonWriter json, ClusterConfig cluster)
    {
        json.WriteStartObject();
        json.WriteString("@type", "type.googleapis.com/envoy.config.cluster.v3.Cluster");
        json.WriteString("name", cluster.Name);
        WriteOptional(json, "alt_stat_name", cluster.AltStatName);
        json.WriteString("type", cluster.Type switch
        {
            DiscoveryType.Static => "STATIC",
            DiscoveryType.StrictDns => "STRICT_DNS",
            DiscoveryType.LogicalDns => "LOGICAL_DNS",
            DiscoveryType.Eds => "EDS",
            _ => "ORIGINAL_DST",
        });
        if (cluster.Type == DiscoveryType.Eds)
        {
            json.WriteStartObject("eds_cluster_config");
            WriteConfigSource(json, "eds_config", cluster.EdsConfig);
            WriteOptional(json, "service_name", cluster.EdsServiceName);
            json.WriteEndObject();
        }

        json.WriteString("connect_timeout", ProtoDurationText.Format(cluster.ConnectTimeout));
        json.WriteString("lb_policy", cluster.LbPolicy switch
        {
            LbPolicy.LeastRequest => "LEAST_REQUEST",
            LbPolicy.Random => "RANDOM",
            _ => "ROUND_ROBIN",
        });
        if (cluster.LbPolicy == LbPolicy.LeastRequest)
        {
            json.WriteStartObject("least_request_lb_config");
            json.WriteNumber("choice_count", cluster.LeastRequestChoiceCount);
            json.WriteEndObject();
        }

        if (cluster.LoadAssignment is { } assignment)
        {
            json.WritePropertyName("load_assignment");
            WriteAssignment(json, assignment, withType: false);
        }

        if (cluster.HealthChecks.Length > 0)
        {
            json.WriteStartArray("health_checks");
            foreach (var check in cluster.HealthChecks)
            {
                WriteHealthCheck(json, check);
            }

            json.WriteEndArray();
        }

        if (cluster.MaxConnections != 1024)
        {
            json.WriteStartObject("circuit_breakers");
            json.WriteStartArray("thresholds");
            json.WriteStartObject();
            json.WriteNumber("max_connections", cluster.MaxConnections);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (cluster.OutlierDetection is not null)
        {
            json.WriteStartObject("outlier_detection");
            json.WriteEndObject();
        }

        if (cluster.TransportSocket is { } socket)
        {
            WriteTransportSocket(json, socket);
        }

        json.WriteEndObject();
    }

    private static void WriteHealthCheck(Utf8JsonWriter json, HealthCheckConfig check)
    {
        json.WriteStartObject();
        json.WriteString("timeout", ProtoDurationText.Format(check.Timeout));
        json.WriteString("interval", ProtoDurationText.Format(check.Interval));
        json.WriteNumber("unhealthy_threshold", check.UnhealthyThreshold);
        json.WriteNumber("healthy_threshold", check.HealthyThreshold);
        if (check.Http is { } http)
        {
            json.WriteStartObject("http_health_check");
            json.WriteString("path", Safe(http.Path));
            WriteOptional(json, "host", http.Host);
            json.WriteEndObject();
        }
        else if (check.Tcp is not null)
        {
            json.WriteStartObject("tcp_health_check");
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteTransportSocket(Utf8JsonWriter json, TransportSocketConfig socket)
    {
        json.WriteStartObject("transport_socket");
        json.WriteString("name", socket.Name);
        if (socket.Tls is { } tls)
        {
            json.WriteStartObject("typed_config");
            json.WriteString("@type", socket.TypeUrl ?? "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
            WriteOptional(json, "sni", tls.Sni);
            json.WriteStartObject("common_tls_context");
            if (tls.CertificateChainFile is not null || tls.CertificateChainPem is not null || tls.PrivateKeyFile is not null || tls.PrivateKeyPem is not null)
            {
                json.WriteStartArray("tls_certificates");
                json.WriteStartObject();
                WriteDataSource(json, "certificate_chain", tls.CertificateChainFile, tls.CertificateChainPem);
                if (tls.PrivateKeyFile is not null || tls.PrivateKeyPem is not null)
                {
                    // Envoy redacts secrets in config dumps; the key's path is redacted too (it names where the key lives).
                    json.WriteStartObject("private_key");
                    json.WriteString(tls.PrivateKeyFile is not null ? "filename" : "inline_string", Redacted);
                    json.WriteEndObject();
                }

                json.WriteEndObject();
                json.WriteEndArray();
            }

            if (tls.TrustedCaFile is not null || tls.TrustedCaPem is not null || tls.MatchSubjectAltNames.Length > 0)
            {
                json.WriteStartObject("validation_context");
                WriteDataSource(json, "trusted_ca", tls.TrustedCaFile, tls.TrustedCaPem);
                if (tls.MatchSubjectAltNames.Length > 0)
                {
                    json.WriteStartArray("match_typed_subject_alt_names");
                    foreach (var name in tls.MatchSubjectAltNames)
                    {
                        json.WriteStartObject();
                        json.WriteStartObject("matcher");
                        json.WriteString("exact", Safe(name));
                        json.WriteEndObject();
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            if (tls.AlpnProtocols.Length > 0)
            {
                json.WriteStartArray("alpn_protocols");
                foreach (var alpn in tls.AlpnProtocols)
                {
                    json.WriteStringValue(alpn);
                }

                json.WriteEndArray();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteDataSource(Utf8JsonWriter json, string name, string? file, string? inline)
    {
        if (file is null && inline is null)
        {
            return;
        }

        json.WriteStartObject(name);
        if (file is not null)
        {
            json.WriteString("filename", Safe(file));
        }
        else
        {
            json.WriteString("inline_string", Safe(inline!));
        }

        json.WriteEndObject();
    }

    private static void WriteListener(Utf8JsonWriter json, ListenerConfig listener)
    {
        json.WriteStartObject();
        json.WriteString("@type", "type.googleapis.com/envoy.config.listener.v3.Listener");
        json.WriteString("name", listener.Name);
        WriteAddress(json, "address", listener.Address);
        WriteOptional(json, "stat_prefix", listener.StatPrefix);
        json.WriteStartArray("filter_chains");
        json.WriteStartObject();
        json.WriteStartArray("filters");
        json.WriteStartObject();
        json.WriteString("name", "envoy.filters.network.tcp_proxy");
        json.WriteStartObject("typed_config");
        json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy");
        var tcp = listener.TcpProxy;
        json.WriteString("stat_prefix", tcp.StatPrefix);
        if (tcp.Cluster is not null)
        {
            json.WriteString("cluster", tcp.Cluster);
        }
        else if (tcp.WeightedClusters.Length > 0)
        {
            json.WriteStartObject("weighted_clusters");
            json.WriteStartArray("clusters");
            foreach (var weighted in tcp.WeightedClusters)
            {
                json.WriteStartObject();
                json.WriteString("name", weighted.Name);
                json.WriteNumber("weight", weighted.Weight);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        if (tcp.IdleTimeout != TcpProxyConfig.DefaultIdleTimeout)
        {
            json.WriteString("idle_timeout", ProtoDurationText.Format(tcp.IdleTimeout));
        }

        if (tcp.MaxConnectAttempts != 1)
        {
            json.WriteNumber("max_connect_attempts", tcp.MaxConnectAttempts);
        }

        if (tcp.MaxDownstreamConnectionDuration is { } max)
        {
            json.WriteString("max_downstream_connection_duration", ProtoDurationText.Format(max));
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteAssignment(Utf8JsonWriter json, ClusterLoadAssignmentConfig assignment, bool withType)
    {
        json.WriteStartObject();
        if (withType)
        {
            json.WriteString("@type", "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment");
        }

        json.WriteString("cluster_name", assignment.ClusterName);
        json.WriteStartArray("endpoints");
        foreach (var group in assignment.Endpoints.GroupBy(e => e.Priority).OrderBy(g => g.Key))
        {
            json.WriteStartObject();
            json.WriteStartArray("lb_endpoints");
            foreach (var endpoint in group)
            {
                json.WriteStartObject();
                json.WriteStartObject("endpoint");
                WriteAddress(json, "address", endpoint.Address);
                WriteOptional(json, "hostname", endpoint.Hostname);
                json.WriteEndObject();
                if (endpoint.HealthStatus != EndpointHealthStatus.Unknown)
                {
                    json.WriteString("health_status", endpoint.HealthStatus.ToString().ToUpperInvariant());
                }

                if (endpoint.Weight != 1)
                {
                    json.WriteNumber("load_balancing_weight", endpoint.Weight);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            if (group.Key != 0)
            {
                json.WriteNumber("priority", group.Key);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteAddress(Utf8JsonWriter json, string name, SocketAddressConfig address)
    {
        json.WriteStartObject(name);
        json.WriteStartObject("socket_address");
        json.WriteString("address", address.Address.ToString());
        json.WriteNumber("port_value", address.Port);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteConfigSource(Utf8JsonWriter json, string name, ConfigSourceConfig? source)
    {
        if (source is null)
        {
            return;
        }

        json.WriteStartObject(name);
        json.WriteStartObject("path_config_source");
        json.WriteString("path", Safe(source.Path));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteAccessLog(Utf8JsonWriter json, AccessLogConfig log)
    {
        json.WriteStartObject();
        json.WriteString("name", log.Name);
        json.WriteStartObject("typed_config");
        json.WriteString("@type", log.TypeUrl);
        WriteOptional(json, "path", log.Path);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, Safe(value));
        }
    }

    // Belt and braces: whatever field it came from, PEM private key material never leaves the process.
    private static string Safe(string value) =>
        value.Contains("PRIVATE KEY", StringComparison.Ordinal) ? Redacted : value;
}
