using System.Collections.Frozen;

namespace Kubegate.Configuration.Binding;

/// <summary>
/// Envoy fields kubegate knows but does not implement (accepted silently, accepted with a warning, or refused), and
/// hints for unknown fields that are common mistakes (several come from the seed configuration).
/// </summary>
internal static class FieldRules
{
    private const string FilesOnly = "kubegate reads xDS from files only";
    private const string FilesOnlyFix = "use path_config_source: {path: <file>}";

    private static readonly FieldRule Silent = new(FieldTreatment.Silent);
    private static readonly FieldRule Ignored = new(FieldTreatment.Ignored);

    private static readonly FrozenDictionary<string, FrozenDictionary<string, FieldRule>> Rules = Build(new Dictionary<string, Dictionary<string, FieldRule>>
    {
        [ProtoTypes.Bootstrap] = new()
        {
            ["node_context_params"] = Silent,
            ["cluster_manager"] = Ignored,
            ["hds_config"] = new(FieldTreatment.Ignored, "kubegate has no health discovery service"),
            ["flags_path"] = Ignored,
            ["stats_sinks"] = new(FieldTreatment.Ignored, "stats are served by the admin interface (/stats, /stats/prometheus) only"),
            ["deferred_stat_options"] = Ignored,
            ["stats_config"] = Ignored,
            ["stats_flush_interval"] = Ignored,
            ["stats_flush_on_admin"] = Ignored,
            ["watchdog"] = Ignored,
            ["watchdogs"] = Ignored,
            ["tracing"] = Ignored,
            ["layered_runtime"] = new(FieldTreatment.Ignored, "kubegate has no runtime overrides"),
            ["overload_manager"] = Ignored,
            ["enable_dispatcher_stats"] = Ignored,
            ["header_prefix"] = Ignored,
            ["stats_server_version_override"] = Ignored,
            ["use_tcp_for_dns_lookups"] = Silent,
            ["dns_resolution_config"] = Silent,
            ["typed_dns_resolver_config"] = Silent,
            ["bootstrap_extensions"] = Ignored,
            ["fatal_actions"] = Ignored,
            ["config_sources"] = Ignored,
            ["default_config_source"] = Ignored,
            ["default_socket_interface"] = Ignored,
            ["certificate_provider_instances"] = Ignored,
            ["inline_headers"] = Silent,
            ["perf_tracing_file_path"] = Ignored,
            ["default_regex_engine"] = Silent,
            ["xds_delegate_extension"] = Ignored,
            ["xds_config_tracker_extension"] = Ignored,
            ["listener_manager"] = Ignored,
            ["application_log_config"] = Ignored,
            ["grpc_async_client_manager_config"] = Silent,
            ["memory_allocator_manager"] = Ignored,
        },
        [ProtoTypes.Node] = Many(Silent, "metadata", "dynamic_parameters", "locality", "user_agent_name", "user_agent_version",
            "user_agent_build_version", "extensions", "client_features", "listening_addresses"),
        [ProtoTypes.StaticResources] = new()
        {
            ["secrets"] = new(FieldTreatment.Ignored, "kubegate has no SDS; reference certificate files with filename"),
        },
        [ProtoTypes.DynamicResources] = new()
        {
            ["ads_config"] = new(FieldTreatment.Unsupported, FilesOnly, FilesOnlyFix),
            ["lds_resources_locator"] = new(FieldTreatment.Unsupported, FilesOnly, "use lds_config: {path_config_source: {path: <file>}}"),
            ["cds_resources_locator"] = new(FieldTreatment.Unsupported, FilesOnly, "use cds_config: {path_config_source: {path: <file>}}"),
        },
        [ProtoTypes.ConfigSource] = new()
        {
            ["authorities"] = Silent,
            ["initial_fetch_timeout"] = Silent,
            ["api_config_source"] = new(FieldTreatment.Unsupported, FilesOnly, FilesOnlyFix),
            ["ads"] = new(FieldTreatment.Unsupported, FilesOnly, FilesOnlyFix),
            ["self"] = new(FieldTreatment.Unsupported, FilesOnly, FilesOnlyFix),
        },
        [ProtoTypes.Admin] = new()
        {
            ["socket_options"] = Ignored,
            ["ignore_global_conn_limit"] = Silent,
        },
        [ProtoTypes.DiscoveryResponse] = Many(Silent, "type_url", "nonce", "canary", "control_plane", "resource_errors"),
        [ProtoTypes.Listener] = new()
        {
            ["traffic_direction"] = Silent,
            ["max_connections_to_accept_per_socket_event"] = Silent,
            ["ignore_global_conn_limit"] = Silent,
            ["bypass_overload_manager"] = Silent,
            ["enable_reuse_port"] = Silent,
            ["reuse_port"] = Silent,
            ["per_connection_buffer_limit_bytes"] = new(FieldTreatment.Ignored, "kubegate sizes its own relay buffers"),
            ["drain_type"] = Ignored,
            ["socket_options"] = Ignored,
            ["freebind"] = Ignored,
            ["transparent"] = Ignored,
            ["tcp_fast_open_queue_length"] = Ignored,
            ["connection_balance_config"] = Ignored,
            ["enable_mptcp"] = Ignored,
            ["additional_addresses"] = new(FieldTreatment.Unsupported, "kubegate binds one address per listener", "define one listener per address"),
            ["use_original_dst"] = new(FieldTreatment.Unsupported, "kubegate does not support original-destination listeners"),
            ["filter_chain_matcher"] = new(FieldTreatment.Unsupported, "kubegate selects filter chains with filter_chain_match only", "write filter_chain_match: {server_names: [...]} on each filter chain"),
            ["udp_listener_config"] = new(FieldTreatment.Unsupported, "kubegate proxies TCP only"),
            ["api_listener"] = new(FieldTreatment.Unsupported, "kubegate does not support API listeners"),
            ["internal_listener"] = new(FieldTreatment.Unsupported, "kubegate does not support internal listeners"),
            ["fcds_config"] = new(FieldTreatment.Unsupported, FilesOnly),
        },
        [ProtoTypes.FilterChain] = new()
        {
            ["transport_socket_connect_timeout"] = Silent,
            ["transport_socket"] = new(FieldTreatment.Unsupported,
                "kubegate passes TLS through to the apiserver and does not terminate TLS on a listener",
                "remove filter_chains[].transport_socket; clients then talk TLS to the apiserver end to end"),
            ["use_proxy_proto"] = new(FieldTreatment.Unsupported, "kubegate does not support the PROXY protocol"),
            ["on_demand_configuration"] = new(FieldTreatment.Unsupported, "kubegate does not support on-demand filter chains"),
        },
        [ProtoTypes.FilterChainMatch] = new()
        {
            ["prefix_ranges"] = new(FieldTreatment.Unsupported, "kubegate matches filter chains on destination port, server names, transport and application protocols", "bind one listener per address instead"),
            ["address_suffix"] = new(FieldTreatment.Unsupported, "not implemented by kubegate"),
            ["suffix_len"] = new(FieldTreatment.Unsupported, "not implemented by kubegate"),
            ["direct_source_prefix_ranges"] = new(FieldTreatment.Unsupported, "kubegate does not select filter chains by client address", "admit or refuse clients with an envoy.filters.network.rbac filter"),
            ["source_type"] = new(FieldTreatment.Unsupported, "kubegate does not select filter chains by client address", "admit or refuse clients with an envoy.filters.network.rbac filter"),
            ["source_prefix_ranges"] = new(FieldTreatment.Unsupported, "kubegate does not select filter chains by client address", "admit or refuse clients with an envoy.filters.network.rbac filter"),
            ["source_ports"] = new(FieldTreatment.Unsupported, "kubegate does not select filter chains by client port"),
        },
        [ProtoTypes.ConnectionLimit] = Many(Ignored, "runtime_enabled"),
        [ProtoTypes.LocalRateLimit] = new()
        {
            ["runtime_enabled"] = Ignored,
            ["share_key"] = new(FieldTreatment.Ignored, "each local_ratelimit filter has its own bucket in kubegate"),
        },
        [ProtoTypes.NetworkRbac] = new()
        {
            ["enforcement_type"] = Silent,
            ["matcher"] = new(FieldTreatment.Unsupported, "kubegate implements RBAC rules (policies), not the matcher API", "write rules: {action: ALLOW, policies: {...}}"),
            ["shadow_matcher"] = new(FieldTreatment.Unsupported, "kubegate implements RBAC shadow_rules (policies), not the matcher API", "write shadow_rules: {action: ALLOW, policies: {...}}"),
            ["delay_deny"] = Ignored,
        },
        [ProtoTypes.RbacRules] = Many(Ignored, "audit_logging_options"),
        [ProtoTypes.RbacPolicy] = new()
        {
            ["condition"] = new(FieldTreatment.Unsupported, "kubegate does not evaluate CEL conditions"),
            ["checked_condition"] = new(FieldTreatment.Unsupported, "kubegate does not evaluate CEL conditions"),
            ["cel_config"] = Silent,
        },
        [ProtoTypes.Filter] = new()
        {
            ["config_discovery"] = new(FieldTreatment.Unsupported, FilesOnly, "write the tcp_proxy configuration inline under typed_config"),
        },
        [ProtoTypes.ListenerFilter] = Many(Silent, "filter_disabled", "config_discovery"),
        [ProtoTypes.TcpProxy] = new()
        {
            ["downstream_idle_timeout"] = Silent,
            ["upstream_idle_timeout"] = Silent,
            ["backoff_options"] = new(FieldTreatment.Ignored, "kubegate retries a failed connect at once, with a new endpoint pick"),
            ["max_downstream_connection_duration_jitter_percentage"] = Ignored,
            ["max_early_data_bytes"] = Ignored,
            ["upstream_connect_mode"] = Ignored,
            ["proxy_protocol_tlvs"] = Ignored,
            ["hash_policy"] = new(FieldTreatment.Unsupported, "kubegate does not support hash-based endpoint selection"),
            ["metadata_match"] = new(FieldTreatment.Unsupported, "kubegate does not support subset load balancing"),
            ["tunneling_config"] = new(FieldTreatment.Unsupported, "kubegate does not tunnel TCP over HTTP"),
            ["on_demand"] = new(FieldTreatment.Unsupported, "kubegate does not support on-demand clusters"),
        },
        [ProtoTypes.ClusterWeight] = new()
        {
            ["metadata_match"] = new(FieldTreatment.Unsupported, "kubegate does not support subset load balancing"),
        },
        [ProtoTypes.AccessLog] = new()
        {
            ["filter"] = new(FieldTreatment.Ignored, "kubegate has no access-log filters; every connection is logged"),
        },
        [ProtoTypes.SubstitutionFormatString] = new()
        {
            ["content_type"] = Silent,
            ["json_format_options"] = Silent,
            ["formatters"] = new(FieldTreatment.Ignored, "kubegate has no formatter extensions"),
        },
        [ProtoTypes.Cluster] = new()
        {
            ["dns_lookup_family"] = Silent,
            ["dns_refresh_rate"] = Silent,
            ["dns_failure_refresh_rate"] = Silent,
            ["respect_dns_ttl"] = Silent,
            ["dns_resolvers"] = Silent,
            ["use_tcp_for_dns_lookups"] = Silent,
            ["dns_resolution_config"] = Silent,
            ["typed_dns_resolver_config"] = Silent,
            ["dns_jitter"] = Silent,
            ["wait_for_warm_on_init"] = Silent,
            ["cleanup_interval"] = Silent,
            ["typed_extension_protocol_options"] = Silent,
            ["upstream_http_protocol_options"] = Silent,
            ["common_http_protocol_options"] = Silent,
            ["http_protocol_options"] = Silent,
            ["http2_protocol_options"] = Silent,
            ["max_requests_per_connection"] = Silent,
            ["protocol_selection"] = Silent,
            ["track_timeout_budgets"] = Silent,
            ["connection_pool_per_downstream_connection"] = Silent,
            ["ring_hash_lb_config"] = Silent,
            ["maglev_lb_config"] = Silent,
            ["original_dst_lb_config"] = Silent,
            ["lrs_report_endpoint_metrics"] = Silent,
            ["per_connection_buffer_limit_bytes"] = new(FieldTreatment.Ignored, "kubegate sizes its own relay buffers"),
            ["upstream_bind_config"] = new(FieldTreatment.Ignored, "kubegate lets the OS pick the source address"),
            ["preconnect_policy"] = Ignored,
            ["track_cluster_stats"] = Ignored,
            ["lrs_server"] = Ignored,
            ["lb_subset_config"] = new(FieldTreatment.Ignored, "kubegate does not support subset load balancing"),
            ["filters"] = new(FieldTreatment.Unsupported, "kubegate does not support upstream network filters"),
            ["load_balancing_policy"] = new(FieldTreatment.Unsupported, "kubegate does not support load_balancing_policy", "use lb_policy: ROUND_ROBIN, LEAST_REQUEST or RANDOM"),
            ["upstream_config"] = new(FieldTreatment.Unsupported, "kubegate does not support custom upstream configs"),
            ["cluster_type"] = new(FieldTreatment.Unsupported, "kubegate does not support custom cluster types", "use type: EDS or type: STATIC with IP literals"),
        },
        [ProtoTypes.EdsClusterConfig] = new(),
        [ProtoTypes.LeastRequestLbConfig] = new(),
        [ProtoTypes.RoundRobinLbConfig] = new()
        {
            ["locality_lb_config"] = new(FieldTreatment.Ignored, "kubegate has no locality-aware balancing"),
        },
        [ProtoTypes.SlowStartConfig] = new(),
        [ProtoTypes.Metadata] = new()
        {
            ["typed_filter_metadata"] = Silent,
        },
        [ProtoTypes.KubegateClusterMetadata] = new(),
        [ProtoTypes.KubegateRebalance] = new(),
        [ProtoTypes.CommonLbConfig] = new()
        {
            ["zone_aware_lb_config"] = Silent,
            ["update_merge_window"] = Silent,
            ["consistent_hashing_lb_config"] = Silent,
            ["override_host_status"] = Silent,
            ["locality_weighted_lb_config"] = new(FieldTreatment.Ignored, "kubegate balances over all localities alike"),
            ["close_connections_on_host_set_change"] = Ignored,
        },
        [ProtoTypes.UpstreamConnectionOptions] = Many(Silent, "set_local_interface_name_on_upstream_connections", "happy_eyeballs_config"),
        [ProtoTypes.CircuitBreakers] = new()
        {
            ["per_host_thresholds"] = Ignored,
        },
        [ProtoTypes.Thresholds] = Many(Silent, "max_pending_requests", "max_requests", "max_retries", "retry_budget", "track_remaining", "max_connection_pools"),
        [ProtoTypes.HealthCheck] = new()
        {
            ["event_logger"] = new(FieldTreatment.Ignored, "kubegate writes health events only to event_log_path"),
            ["event_service"] = Silent,
            ["alt_port"] = Silent,
        },
        [ProtoTypes.HttpHealthCheck] = new()
        {
            ["response_buffer_size"] = Silent,
            ["send"] = new(FieldTreatment.Ignored, "kubegate's HTTP health checks send no body"),
            ["receive"] = new(FieldTreatment.Ignored, "kubegate's HTTP health checks judge the status code only"),
            ["service_name_matcher"] = Ignored,
        },
        [ProtoTypes.TcpHealthCheck] = new()
        {
            ["proxy_protocol_config"] = new(FieldTreatment.Ignored, "kubegate does not send PROXY protocol headers"),
        },
        [ProtoTypes.OutlierDetection] = new()
        {
            ["monitors"] = Ignored,
        },
        [ProtoTypes.HeaderValueOption] = Many(Silent, "keep_empty_value"),
        [ProtoTypes.HeaderValue] = new()
        {
            ["raw_value"] = new(FieldTreatment.Unsupported, "kubegate reads header values from 'value' only", "write value: <text>"),
        },
        [ProtoTypes.SocketAddress] = new()
        {
            ["ipv4_compat"] = Silent,
            ["network_namespace_filepath"] = Ignored,
            ["named_port"] = new(FieldTreatment.Unsupported, "kubegate needs numeric ports", "write port_value: <number>"),
            ["resolver_name"] = new(FieldTreatment.Unsupported, "kubegate needs IP literals and has no custom resolvers", "write the IP address in address"),
        },
        [ProtoTypes.Address] = new()
        {
            ["pipe"] = new(FieldTreatment.Unsupported, "kubegate supports TCP socket addresses only", "write socket_address: {address: <ip>, port_value: <port>}"),
            ["envoy_internal_address"] = new(FieldTreatment.Unsupported, "kubegate supports TCP socket addresses only", "write socket_address: {address: <ip>, port_value: <port>}"),
        },
        [ProtoTypes.ClusterLoadAssignment] = new()
        {
            ["named_endpoints"] = new(FieldTreatment.Unsupported, "kubegate does not support named endpoints", "write endpoints inline under endpoints[].lb_endpoints"),
        },
        [ProtoTypes.ClusterLoadAssignmentPolicy] = new()
        {
            ["drop_overloads"] = Ignored,
            ["overprovisioning_factor"] = new(FieldTreatment.Ignored, "kubegate uses Envoy's default factor of 140 for panic decisions"),
            ["endpoint_stale_after"] = Ignored,
            ["weighted_priority_health"] = Silent,
        },
        [ProtoTypes.LocalityLbEndpoints] = new()
        {
            ["locality"] = Silent,
            ["load_balancing_weight"] = Silent,
            ["proximity"] = Silent,
            ["metadata"] = Silent,
            ["leds_cluster_locality_config"] = new(FieldTreatment.Unsupported, FilesOnly, "list the endpoints under lb_endpoints"),
        },
        [ProtoTypes.LbEndpoint] = new()
        {
            ["metadata"] = Silent,
            ["endpoint_name"] = new(FieldTreatment.Unsupported, "kubegate does not support named endpoints", "write endpoint: {address: {socket_address: {address: <ip>, port_value: <port>}}}"),
        },
        [ProtoTypes.Endpoint] = new()
        {
            ["additional_addresses"] = new(FieldTreatment.Ignored, "kubegate connects to the endpoint's primary address only"),
        },
        [ProtoTypes.EndpointHealthCheckConfig] = new()
        {
            ["address"] = new(FieldTreatment.Ignored, "kubegate health-checks the endpoint address (optionally on port_value)"),
        },
        [ProtoTypes.UpstreamTlsContext] = new()
        {
            ["allow_renegotiation"] = Silent,
            ["max_session_keys"] = Silent,
            ["enforce_rsa_key_usage"] = Silent,
            ["auto_sni_san_validation"] = Silent,
            ["auto_host_sni"] = new(FieldTreatment.Ignored, "health checks send the configured sni"),
        },
        [ProtoTypes.CommonTlsContext] = new()
        {
            ["tls_params"] = Silent,
            ["key_log"] = Ignored,
            ["custom_tls_certificate_selector"] = Ignored,
            ["tls_certificate_sds_secret_configs"] = new(FieldTreatment.Unsupported, "kubegate has no SDS", "reference the files with tls_certificates[].certificate_chain.filename / private_key.filename"),
            ["validation_context_sds_secret_config"] = new(FieldTreatment.Unsupported, "kubegate has no SDS", "use validation_context: {trusted_ca: {filename: <ca.crt>}}"),
            ["combined_validation_context"] = new(FieldTreatment.Unsupported, "kubegate has no SDS", "use validation_context: {trusted_ca: {filename: <ca.crt>}}"),
            ["tls_certificate_provider_instance"] = new(FieldTreatment.Unsupported, "kubegate has no certificate providers"),
            ["tls_certificate_certificate_provider"] = new(FieldTreatment.Unsupported, "kubegate has no certificate providers"),
            ["tls_certificate_certificate_provider_instance"] = new(FieldTreatment.Unsupported, "kubegate has no certificate providers"),
            ["validation_context_certificate_provider"] = new(FieldTreatment.Unsupported, "kubegate has no certificate providers"),
            ["validation_context_certificate_provider_instance"] = new(FieldTreatment.Unsupported, "kubegate has no certificate providers"),
            ["custom_handshaker"] = new(FieldTreatment.Unsupported, "kubegate has no custom TLS handshakers"),
        },
        [ProtoTypes.CertificateValidationContext] = new()
        {
            ["watched_directory"] = Silent,
            ["allow_expired_certificate"] = Ignored,
            ["trust_chain_verification"] = Ignored,
            ["verify_certificate_spki"] = Ignored,
            ["verify_certificate_hash"] = Ignored,
            ["crl"] = Ignored,
            ["only_verify_leaf_cert_crl"] = Ignored,
            ["max_verify_depth"] = Ignored,
            ["custom_validator_config"] = Ignored,
            ["system_root_certs"] = Silent,
        },
        [ProtoTypes.TlsCertificate] = new()
        {
            ["ocsp_staple"] = Silent,
            ["signed_certificate_timestamp"] = Silent,
            ["watched_directory"] = Silent,
            ["password"] = new(FieldTreatment.Unsupported, "kubegate cannot read encrypted private keys", "decrypt the key file (openssl pkey -in key.pem -out key-plain.pem)"),
            ["private_key_provider"] = new(FieldTreatment.Unsupported, "kubegate has no private key providers"),
            ["pkcs12"] = new(FieldTreatment.Unsupported, "kubegate reads PEM files only", "use certificate_chain and private_key with PEM files"),
        },
    });

    private static readonly FrozenDictionary<string, FrozenDictionary<string, string>> Hints = Build(new Dictionary<string, Dictionary<string, string>>
    {
        [ProtoTypes.Cluster] = new()
        {
            ["retry_policy"] = "TCP retries are `max_connect_attempts` on the listener's tcp_proxy (e.g. max_connect_attempts: 2); Envoy clusters have no retry_policy",
            ["hosts"] = "the v2 'hosts' field is gone in v3; write load_assignment: {cluster_name: <name>, endpoints: [{lb_endpoints: [...]}]}",
            ["endpoints"] = "endpoints belong in load_assignment: {cluster_name: <name>, endpoints: [...]} (STATIC) or in the EDS file",
            ["tls_context"] = "the v2 'tls_context' is gone in v3; use transport_socket_matches with an envoy.transport_sockets.tls UpstreamTlsContext",
            ["min_health_percent"] = "use common_lb_config.healthy_panic_threshold: {value: 50} (and outlier_detection.max_ejection_percent / always_eject_one_host)",
        },
        [ProtoTypes.OutlierDetection] = new()
        {
            ["min_health_percent"] = "use common_lb_config.healthy_panic_threshold: {value: 50} (and max_ejection_percent / always_eject_one_host)",
        },
        [ProtoTypes.HealthCheck] = new()
        {
            ["name"] = "health check names exist only in Envoy releases after 1.35, which allow several health_checks entries; Envoy 1.35 allows exactly one",
            ["expected_statuses"] = "expected_statuses belongs inside http_health_check",
            ["path"] = "path belongs inside http_health_check: {path: /readyz}",
        },
        [ProtoTypes.HttpHealthCheck] = new()
        {
            ["use_http2"] = "the v2 'use_http2' is gone in v3; write codec_client_type: HTTP2",
            ["service_name"] = "the v2 'service_name' is gone in v3; it is service_name_matcher now",
        },
        [ProtoTypes.ConfigSource] = new()
        {
            ["watched_directory"] = "watched_directory belongs inside path_config_source: {path: <file>, watched_directory: {path: <dir>}}",
        },
        [ProtoTypes.Filter] = new()
        {
            ["config"] = "the v2 'config' is gone in v3; write typed_config with \"@type\": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        },
        [ProtoTypes.FilterChain] = new()
        {
            ["tls_context"] = "kubegate passes TLS through to the apiserver; remove it",
        },
        [ProtoTypes.Bootstrap] = new()
        {
            ["runtime"] = "the v2 'runtime' is gone in v3 (and kubegate has no runtime overrides); remove it",
        },
        [ProtoTypes.LbEndpoint] = new()
        {
            ["address"] = "the address belongs inside endpoint: write endpoint: {address: {socket_address: {address: <ip>, port_value: <port>}}}",
        },
        [ProtoTypes.TcpProxy] = new()
        {
            ["retry_policy"] = "TCP retries are `max_connect_attempts` (e.g. max_connect_attempts: 2)",
        },
    });

    public static FieldRule? Find(string typeName, string field) =>
        Rules.TryGetValue(typeName, out var rules) && rules.TryGetValue(field, out var rule) ? rule : null;

    public static string? Hint(string typeName, string field) =>
        Hints.TryGetValue(typeName, out var hints) && hints.TryGetValue(field, out var hint) ? hint : null;

    public static IEnumerable<string> KnownButUnimplemented(string typeName) =>
        Rules.TryGetValue(typeName, out var rules) ? rules.Keys : [];

    private static Dictionary<string, FieldRule> Many(FieldRule rule, params string[] fields) =>
        fields.ToDictionary(f => f, _ => rule, StringComparer.Ordinal);

    private static FrozenDictionary<string, FrozenDictionary<string, T>> Build<T>(Dictionary<string, Dictionary<string, T>> source) =>
        source.ToFrozenDictionary(p => p.Key, p => p.Value.ToFrozenDictionary(StringComparer.Ordinal), StringComparer.Ordinal);
}
