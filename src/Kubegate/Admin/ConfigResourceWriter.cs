using System.Globalization;
using System.Text.Json;
using Kubegate.Configuration;

namespace Kubegate.Admin;

/// <summary>
/// The per-type writers of <c>/config_dump</c>: each Envoy message kubegate keeps (cluster, listener, endpoint
/// assignment, health check, transport socket, ...) as proto-JSON, with private key material redacted.
/// <see cref="ConfigDumpFormatter"/> puts them in Envoy's dump envelope.
/// </summary>
internal static class ConfigResourceWriter
{
    internal static void WriteCluster(Utf8JsonWriter json, ClusterConfig cluster)
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
                    json.WriteString(tls.PrivateKeyFile is not null ? "filename" : "inline_string", ConfigDumpFormatter.Redacted);
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

    internal static void WriteListener(Utf8JsonWriter json, ListenerConfig listener)
    {
        json.WriteStartObject();
        json.WriteString("@type", "type.googleapis.com/envoy.config.listener.v3.Listener");
        json.WriteString("name", listener.Name);
        WriteAddress(json, "address", listener.Address);
        WriteOptional(json, "stat_prefix", listener.StatPrefix);
        if (listener.TlsInspector)
        {
            json.WriteStartArray("listener_filters");
            json.WriteStartObject();
            json.WriteString("name", "envoy.filters.listener.tls_inspector");
            json.WriteStartObject("typed_config");
            json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector");
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteString("listener_filters_timeout", ProtoDurationText.Format(listener.ListenerFiltersTimeout));
            json.WriteBoolean("continue_on_listener_filters_timeout", listener.ContinueOnListenerFiltersTimeout);
        }

        if (listener.MaxConnectionsPerClient is { } cap)
        {
            json.WriteStartObject("metadata");
            json.WriteStartObject("filter_metadata");
            json.WriteStartObject("kubegate");
            json.WriteNumber("max_connections_per_client", cap);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteStartArray("filter_chains");
        foreach (var chain in listener.FilterChains.IsEmpty && listener.DefaultFilterChain is null ? listener.AllFilterChains : listener.FilterChains)
        {
            WriteFilterChain(json, chain);
        }

        json.WriteEndArray();
        if (listener.DefaultFilterChain is { } defaultChain)
        {
            json.WritePropertyName("default_filter_chain");
            WriteFilterChain(json, defaultChain);
        }

        json.WriteEndObject();
    }

    private static void WriteFilterChain(Utf8JsonWriter json, FilterChainConfig chain)
    {
        json.WriteStartObject();
        WriteOptional(json, "name", chain.Name);
        var match = chain.Match;
        if (match != FilterChainMatchConfig.Any)
        {
            json.WriteStartObject("filter_chain_match");
            if (match.DestinationPort is { } port)
            {
                json.WriteNumber("destination_port", port);
            }

            WriteStrings(json, "server_names", match.ServerNames);
            if (match.TransportProtocol.Length > 0)
            {
                json.WriteString("transport_protocol", match.TransportProtocol);
            }

            WriteStrings(json, "application_protocols", match.ApplicationProtocols);
            json.WriteEndObject();
        }

        json.WriteStartArray("filters");
        foreach (var filter in chain.Filters)
        {
            WriteNetworkFilter(json, filter);
        }

        if (chain.SniCluster)
        {
            json.WriteStartObject();
            json.WriteString("name", "envoy.filters.network.sni_cluster");
            json.WriteStartObject("typed_config");
            json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.sni_cluster.v3.SniCluster");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteStartObject();
        json.WriteString("name", "envoy.filters.network.tcp_proxy");
        json.WriteStartObject("typed_config");
        json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy");
        var tcp = chain.TcpProxy;
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
    }

    private static void WriteNetworkFilter(Utf8JsonWriter json, NetworkFilterConfig filter)
    {
        json.WriteStartObject();
        switch (filter)
        {
            case ConnectionLimitConfig limit:
                json.WriteString("name", "envoy.filters.network.connection_limit");
                json.WriteStartObject("typed_config");
                json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.connection_limit.v3.ConnectionLimit");
                json.WriteString("stat_prefix", limit.StatPrefix);
                json.WriteNumber("max_connections", limit.MaxConnections);
                if (limit.Delay is { } delay)
                {
                    json.WriteString("delay", ProtoDurationText.Format(delay));
                }

                break;
            case LocalRateLimitConfig rate:
                json.WriteString("name", "envoy.filters.network.local_ratelimit");
                json.WriteStartObject("typed_config");
                json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit");
                json.WriteString("stat_prefix", rate.StatPrefix);
                json.WriteStartObject("token_bucket");
                json.WriteNumber("max_tokens", rate.MaxTokens);
                json.WriteNumber("tokens_per_fill", rate.TokensPerFill);
                json.WriteString("fill_interval", ProtoDurationText.Format(rate.FillInterval));
                json.WriteEndObject();
                break;
            case RbacConfig rbac:
                json.WriteString("name", "envoy.filters.network.rbac");
                json.WriteStartObject("typed_config");
                json.WriteString("@type", "type.googleapis.com/envoy.extensions.filters.network.rbac.v3.RBAC");
                json.WriteString("stat_prefix", rbac.StatPrefix);
                WriteRbacRules(json, "rules", rbac.Rules);
                WriteRbacRules(json, "shadow_rules", rbac.ShadowRules);
                if (rbac.ShadowRulesStatPrefix.Length > 0)
                {
                    json.WriteString("shadow_rules_stat_prefix", rbac.ShadowRulesStatPrefix);
                }

                break;
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteRbacRules(Utf8JsonWriter json, string name, RbacRulesConfig? rules)
    {
        if (rules is null)
        {
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("action", rules.Action.ToString().ToUpperInvariant());
        json.WriteStartObject("policies");
        foreach (var policy in rules.Policies)
        {
            json.WriteStartObject(policy.Name);
            WriteRbacMatches(json, "permissions", policy.Permissions, permission: true);
            WriteRbacMatches(json, "principals", policy.Principals, permission: false);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteRbacMatches(Utf8JsonWriter json, string name, EquatableArray<RbacMatchConfig> matches, bool permission)
    {
        json.WriteStartArray(name);
        foreach (var match in matches)
        {
            WriteRbacMatch(json, match, permission);
        }

        json.WriteEndArray();
    }

    private static void WriteRbacMatch(Utf8JsonWriter json, RbacMatchConfig match, bool permission)
    {
        json.WriteStartObject();
        switch (match.Kind)
        {
            case RbacMatchKind.Any:
                json.WriteBoolean("any", true);
                break;
            case RbacMatchKind.SourceIp or RbacMatchKind.DestinationIp:
                json.WriteStartObject(match.Kind == RbacMatchKind.SourceIp ? "direct_remote_ip" : "destination_ip");
                json.WriteString("address_prefix", match.Cidr!.Prefix.ToString());
                json.WriteNumber("prefix_len", match.Cidr.PrefixLength);
                json.WriteEndObject();
                break;
            case RbacMatchKind.DestinationPort:
                json.WriteNumber("destination_port", match.Port);
                break;
            case RbacMatchKind.And or RbacMatchKind.Or:
                json.WriteStartObject(permission ? (match.Kind == RbacMatchKind.And ? "and_rules" : "or_rules") : (match.Kind == RbacMatchKind.And ? "and_ids" : "or_ids"));
                WriteRbacMatches(json, permission ? "rules" : "ids", match.Children, permission);
                json.WriteEndObject();
                break;
            case RbacMatchKind.Not:
                json.WritePropertyName(permission ? "not_rule" : "not_id");
                WriteRbacMatch(json, match.Children[0], permission);
                break;
        }

        json.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter json, string name, EquatableArray<string> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    internal static void WriteAssignment(Utf8JsonWriter json, ClusterLoadAssignmentConfig assignment, bool withType)
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

    internal static void WriteAddress(Utf8JsonWriter json, string name, SocketAddressConfig address)
    {
        json.WriteStartObject(name);
        json.WriteStartObject("socket_address");
        json.WriteString("address", address.Address.ToString());
        json.WriteNumber("port_value", address.Port);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    internal static void WriteConfigSource(Utf8JsonWriter json, string name, ConfigSourceConfig? source)
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

    internal static void WriteAccessLog(Utf8JsonWriter json, AccessLogConfig log)
    {
        json.WriteStartObject();
        json.WriteString("name", log.Name);
        json.WriteStartObject("typed_config");
        json.WriteString("@type", log.TypeUrl);
        WriteOptional(json, "path", log.Path);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    internal static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, Safe(value));
        }
    }

    // Belt and braces: whatever field it came from, PEM private key material never leaves the process.
    private static string Safe(string value) =>
        value.Contains("PRIVATE KEY", StringComparison.Ordinal) ? ConfigDumpFormatter.Redacted : value;
}
