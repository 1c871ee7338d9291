using System.Collections.Immutable;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>Binds <c>envoy.config.cluster.v3.Cluster</c> (spec 3.1): STATIC or EDS clusters of IP-literal endpoints.</summary>
internal static class ClusterBinder
{
    public static ClusterConfig? Bind(BindContext ctx, MessageReader m)
    {
        var errorsBefore = ctx.ErrorCount;
        var name = m.RequiredString("name", "write name: <cluster name>");
        var altStatName = m.String("alt_stat_name");

        var typeField = m.Find("type");
        var typeNumber = ProtoValues.Enum(ctx, typeField, ProtoEnum.DiscoveryType);
        var type = typeNumber switch
        {
            1 => DiscoveryType.StrictDns,
            2 => DiscoveryType.LogicalDns,
            3 => DiscoveryType.Eds,
            4 => DiscoveryType.OriginalDst,
            _ => DiscoveryType.Static,
        };
        if (typeNumber is 1 or 2 or 4)
        {
            ctx.Error(
                typeField.Line,
                typeField.Path,
                $"kubegate does not support cluster type {ProtoEnum.DiscoveryType.NameOf(typeNumber.Value)} (it does no DNS)",
                "use IP literals with STATIC or EDS");
        }

        var (edsConfig, serviceName) = BindEds(ctx, m, type, typeNumber is not null);
        var loadAssignment = BindLoadAssignment(ctx, m, type, typeNumber is null or 0, name);
        var connectTimeout = m.Duration("connect_timeout", positive: true);
        var lbPolicy = BindLbPolicy(ctx, m);
        var (choiceCount, activeRequestBias, leastRequestSlowStart) = BindLeastRequest(ctx, m, lbPolicy);
        var roundRobinSlowStart = BindRoundRobin(ctx, m, lbPolicy);
        var (kubegate, discoveryField) = BindMetadata(ctx, m);
        var (panicThreshold, ignoreNewHosts) = BindCommonLb(ctx, m);
        var keepalive = BindUpstreamConnectionOptions(m);
        var maxConnections = BindCircuitBreakers(m);
        var healthChecks = BindHealthChecks(ctx, m);
        var outlier = m.Message("outlier_detection", ProtoTypes.OutlierDetection) is { } outlierReader
            ? OutlierDetectionBinder.Bind(ctx, outlierReader)
            : null;
        var transportSocketField = m.Find("transport_socket");
        var transportSocket = TransportSocketBinder.Bind(ctx, transportSocketField);
        var matches = BindTransportSocketMatches(ctx, m);
        var ignoreHealthOnRemoval = m.Bool("ignore_health_on_host_removal") ?? false;
        var closeOnHealthFailure = m.Bool("close_connections_on_host_health_failure") ?? false;
        var discovery = discoveryField is { } discoveryValue ? DiscoveryBinder.Bind(ctx, discoveryValue, type, edsConfig) : null;
        m.Finish();

        if (transportSocket?.Tls is not null)
        {
            ctx.Warning(
                transportSocketField.Line,
                transportSocketField.Path,
                "in Envoy a cluster transport_socket with TLS wraps every proxied connection in a second TLS layer, which breaks kubectl; kubegate passes traffic through and uses it only for health checks",
                "move it into transport_socket_matches and select it with the health check's transport_socket_match_criteria, so the file means the same in Envoy");
        }

        CheckHealthCheckTransportSockets(ctx, healthChecks, matches);
        if (!string.IsNullOrEmpty(name))
        {
            ctx.DeclaredClusters.Add(new ClusterDeclaration(name, type == DiscoveryType.Eds ? edsConfig : null, string.IsNullOrEmpty(serviceName) ? name : serviceName));
        }

        if (name is null || ctx.ErrorCount != errorsBefore || typeNumber is 1 or 2 or 4)
        {
            return null;
        }

        return new ClusterConfig
        {
            Name = name,
            AltStatName = string.IsNullOrEmpty(altStatName) ? null : altStatName,
            Type = type,
            EdsConfig = edsConfig,
            EdsServiceName = string.IsNullOrEmpty(serviceName) ? null : serviceName,
            LoadAssignment = loadAssignment,
            ConnectTimeout = connectTimeout ?? ClusterConfig.DefaultConnectTimeout,
            LbPolicy = lbPolicy ?? LbPolicy.RoundRobin,
            LeastRequestChoiceCount = choiceCount,
            LeastRequestActiveRequestBias = activeRequestBias,
            SlowStart = lbPolicy is LbPolicy.LeastRequest ? leastRequestSlowStart : lbPolicy is null or LbPolicy.RoundRobin ? roundRobinSlowStart : null,
            Kubegate = kubegate,
            TcpKeepalive = keepalive,
            HealthyPanicThreshold = panicThreshold,
            IgnoreNewHostsUntilFirstHc = ignoreNewHosts,
            HealthChecks = healthChecks.Select(h => h.Config!).ToImmutableArray(),
            OutlierDetection = outlier,
            TransportSocket = transportSocket,
            TransportSocketMatches = matches,
            IgnoreHealthOnHostRemoval = ignoreHealthOnRemoval,
            CloseConnectionsOnHostHealthFailure = closeOnHealthFailure,
            Discovery = discovery,
            MaxConnections = maxConnections ?? ClusterConfig.DefaultMaxConnections,
            MaxConnectionsIsDefault = maxConnections is null,
            Location = ctx.Location(m.Line),
        };
    }

    private static (ConfigSourceConfig? Source, string? ServiceName) BindEds(BindContext ctx, MessageReader m, DiscoveryType type, bool typeWritten)
    {
        var field = m.Find("eds_cluster_config");
        var eds = MessageReader.Open(ctx, field, ProtoTypes.EdsClusterConfig);
        if (eds is null)
        {
            if (type == DiscoveryType.Eds && !field.HasValue)
            {
                m.Missing(
                    "eds_cluster_config",
                    "write eds_cluster_config: {eds_config: {path_config_source: {path: <eds file>}}}",
                    "an EDS cluster needs eds_cluster_config.eds_config (kubegate reads endpoints from a file)");
            }

            return (null, null);
        }

        var sourceField = eds.Find("eds_config");
        var serviceName = eds.String("service_name");
        ConfigSourceConfig? source = null;
        if (type == DiscoveryType.Eds)
        {
            source = ConfigSourceBinder.Bind(ctx, sourceField);
            if (!sourceField.HasValue)
            {
                eds.Missing("eds_config", "write eds_config: {path_config_source: {path: <eds file>}}", "an EDS cluster needs eds_config (kubegate reads endpoints from a file)");
            }
        }
        else if (type == DiscoveryType.Static)
        {
            ctx.Warning(
                field.Line,
                field.Path,
                typeWritten ? "eds_cluster_config is used only by type: EDS clusters; this cluster is STATIC" : "eds_cluster_config is used only by type: EDS clusters; this cluster has no type, which means STATIC",
                "add type: EDS");
        }

        eds.Finish();
        return (source, serviceName);
    }

    private static ClusterLoadAssignmentConfig? BindLoadAssignment(BindContext ctx, MessageReader m, DiscoveryType type, bool isStatic, string? clusterName)
    {
        var field = m.Find("load_assignment");
        if (!field.HasValue)
        {
            if (isStatic)
            {
                m.Missing(
                    "load_assignment",
                    $"write load_assignment: {{cluster_name: {clusterName ?? "<name>"}, endpoints: [{{lb_endpoints: [{{endpoint: {{address: {{socket_address: {{address: <ip>, port_value: 6443}}}}}}}}]}}]}}, or use type: EDS",
                    "a STATIC cluster needs load_assignment (its endpoints)");
            }

            return null;
        }

        if (type != DiscoveryType.Static)
        {
            ctx.Warning(field.Line, field.Path, "load_assignment is ignored for EDS clusters: their endpoints come from the EDS file", "remove load_assignment, or drop type: EDS");
            return null;
        }

        var reader = MessageReader.Open(ctx, field, ProtoTypes.ClusterLoadAssignment);
        return reader is null ? null : EndpointBinder.Bind(ctx, reader, expectedClusterName: null);
    }

    private static LbPolicy? BindLbPolicy(BindContext ctx, MessageReader m)
    {
        var field = m.Find("lb_policy");
        var number = ProtoValues.Enum(ctx, field, ProtoEnum.LbPolicy);
        switch (number)
        {
            case null:
                return null;
            case 0:
                return LbPolicy.RoundRobin;
            case 1:
                return LbPolicy.LeastRequest;
            case 3:
                return LbPolicy.Random;
            default:
                ctx.Error(
                    field.Line,
                    field.Path,
                    $"kubegate supports lb_policy ROUND_ROBIN, LEAST_REQUEST and RANDOM; found {ProtoEnum.LbPolicy.NameOf(number.Value)}",
                    "write lb_policy: ROUND_ROBIN, LEAST_REQUEST or RANDOM");
                return null;
        }
    }

    private static (int ChoiceCount, double ActiveRequestBias, SlowStartConfig? SlowStart) BindLeastRequest(BindContext ctx, MessageReader m, LbPolicy? policy)
    {
        var field = m.Find("least_request_lb_config");
        var config = MessageReader.Open(ctx, field, ProtoTypes.LeastRequestLbConfig);
        if (config is null)
        {
            return (2, 1.0, null);
        }

        var choiceField = config.Find("choice_count");
        var choiceCount = ProtoValues.UInt32(ctx, choiceField, wrapper: true);
        if (choiceCount is < 2)
        {
            ctx.Error(choiceField.Line, choiceField.Path, "choice_count must be at least 2", "write choice_count: 2 (the default)");
            choiceCount = null;
        }

        var bias = 1.0;
        if (BindRuntimeDouble(ctx, config.Find("active_request_bias"), "upstream.active_request_bias") is { } biasValue)
        {
            // proto3: an object without default_value means 0.
            bias = biasValue.Value ?? 0;
            if (bias < 0)
            {
                ctx.Error(biasValue.Field.Line, biasValue.Field.Path, "active_request_bias must not be negative", "write default_value: 1.0 (the default)");
            }
        }

        var slowStart = BindSlowStart(ctx, config);
        config.Finish();
        if (policy is not LbPolicy.LeastRequest)
        {
            ctx.Warning(field.Line, field.Path, "least_request_lb_config is used only with lb_policy: LEAST_REQUEST", "add lb_policy: LEAST_REQUEST, or remove least_request_lb_config");
        }

        return ((int)Math.Min(choiceCount ?? 2, int.MaxValue), bias, slowStart);
    }

    private static SlowStartConfig? BindRoundRobin(BindContext ctx, MessageReader m, LbPolicy? policy)
    {
        var field = m.Find("round_robin_lb_config");
        var config = MessageReader.Open(ctx, field, ProtoTypes.RoundRobinLbConfig);
        if (config is null)
        {
            return null;
        }

        var slowStart = BindSlowStart(ctx, config);
        config.Finish();
        if (policy is not (null or LbPolicy.RoundRobin))
        {
            ctx.Warning(field.Line, field.Path, "round_robin_lb_config is used only with lb_policy: ROUND_ROBIN", "remove round_robin_lb_config, or write lb_policy: ROUND_ROBIN");
        }

        return slowStart;
    }

    /// <summary>
    /// One of kubegate's own percent knobs: a plain number from 0 to 100 (Envoy's <c>Percent</c> is an object), or
    /// <paramref name="fallback"/> when absent or out of range (reported).
    /// </summary>
    private static double PlainPercent(BindContext ctx, MessageReader m, string name, double fallback, string fix)
    {
        var field = m.Find(name);
        var value = ProtoValues.Double(ctx, field, wrapper: false) ?? fallback;
        if (value is < 0 or > 100)
        {
            ctx.Error(field.Line, field.Path, $"{name} must be between 0 and 100, found {value}", fix);
            return fallback;
        }

        return value;
    }

    /// <summary>
    /// An <c>envoy.config.core.v3.RuntimeDouble</c> field: its <c>default_value</c> (kubegate has no runtime layer, so
    /// <c>runtime_key</c> is read and not used) with the field it came from, or null when the field is absent or is
    /// not an object (a bare number is refused with the object form as the fix).
    /// </summary>
    private static (double? Value, Field Field)? BindRuntimeDouble(BindContext ctx, Field field, string runtimeKey)
    {
        if (field.Node is ConfigScalar { IsNull: false } scalar)
        {
            ctx.ParseError(
                field.Line,
                field.Path,
                $"{field.Name} is an envoy.config.core.v3.RuntimeDouble object, found {scalar.Describe()}",
                $"write `{field.Name}: {{default_value: {scalar.Text}, runtime_key: {runtimeKey}}}`");
            return null;
        }

        if (MessageReader.Open(ctx, field, ProtoTypes.RuntimeDouble) is not { } runtimeDouble)
        {
            return null;
        }

        var valueField = runtimeDouble.Find("default_value");
        var value = ProtoValues.Double(ctx, valueField, wrapper: false);
        runtimeDouble.Find("runtime_key");
        runtimeDouble.Finish();
        return (value, valueField);
    }

    /// <summary>
    /// <c>slow_start_config</c> (Envoy's <c>SlowStartConfig</c>): without <c>slow_start_window</c> Envoy does no slow
    /// start, so neither does kubegate.
    /// </summary>
    private static SlowStartConfig? BindSlowStart(BindContext ctx, MessageReader lbConfig)
    {
        var config = lbConfig.Message("slow_start_config", ProtoTypes.SlowStartConfig);
        if (config is null)
        {
            return null;
        }

        var window = config.Duration("slow_start_window");
        var aggression = 1.0;
        if (BindRuntimeDouble(ctx, config.Find("aggression"), "upstream.slow_start.aggression") is { } aggressionValue)
        {
            aggression = aggressionValue.Value ?? 1.0;
            if (aggression <= 0)
            {
                ctx.Error(aggressionValue.Field.Line, aggressionValue.Field.Path, "aggression must be greater than 0", "write default_value: 1.0 (linear ramp-up, the default)");
                aggression = 1.0;
            }
        }

        var minWeightField = config.Find("min_weight_percent");
        var minWeight = ProtoValues.Percent(ctx, minWeightField) ?? 10;
        config.Finish();
        return window is { } w && w > TimeSpan.Zero ? new SlowStartConfig(w, aggression, minWeight) : null;
    }

    private static RebalanceConfig? BindRebalance(BindContext ctx, MessageReader kubegate)
    {
        var field = kubegate.Find("rebalance");
        var rebalance = MessageReader.Open(ctx, field, ProtoTypes.KubegateRebalance);
        if (rebalance is null)
        {
            return null;
        }

        var tolerance = PlainPercent(ctx, rebalance, "tolerance_percent", 20, "write tolerance_percent: 20 (each apiserver within 20 % of its share)");

        var rateField = rebalance.Find("max_closes_per_second");
        var rate = ProtoValues.UInt32(ctx, rateField, wrapper: false) ?? RebalanceConfig.DefaultMaxClosesPerSecond;
        if (rate is 0 or > 10_000)
        {
            ctx.Error(rateField.Line, rateField.Path, $"max_closes_per_second must be between 1 and 10000, found {rate}", "write max_closes_per_second: 5");
            rate = RebalanceConfig.DefaultMaxClosesPerSecond;
        }

        var minAge = rebalance.Duration("min_connection_age") ?? RebalanceConfig.DefaultMinConnectionAge;
        rebalance.Finish();
        return new RebalanceConfig(tolerance, (int)rate, minAge);
    }

    /// <summary>
    /// <c>metadata</c>: Envoy keeps it for filters; kubegate reads its own knobs from <c>filter_metadata.kubegate</c>
    /// and leaves every other namespace alone.
    /// </summary>
    /// <returns>The extension's knobs, and its <c>discovery</c> field for <see cref="DiscoveryBinder"/> (null when absent).</returns>
    private static (KubegateClusterExtension Extension, Field? Discovery) BindMetadata(BindContext ctx, MessageReader m)
    {
        var kubegate = KubegateMetadata.Open(ctx, m.Find("metadata"), ProtoTypes.KubegateClusterMetadata);
        if (kubegate is null)
        {
            return (KubegateClusterExtension.Default, null);
        }

        var roleField = kubegate.Find("health_check_role");
        var role = HealthCheckRole.Liveness;
        switch (ProtoValues.String(ctx, roleField))
        {
            case null or "liveness":
                break;
            case "readiness":
                role = HealthCheckRole.Readiness;
                break;
            case var other:
                ctx.Error(roleField.Line, roleField.Path, $"health_check_role must be readiness or liveness, found '{other}'", "write health_check_role: readiness (an answered failure such as /readyz 503 drains the host) or liveness (Envoy's meaning: any failure takes it down)");
                break;
        }

        var livenessField = kubegate.Find("liveness_path");
        var livenessPath = ProtoValues.String(ctx, livenessField);
        if (livenessPath is { Length: > 0 } && !livenessPath.StartsWith('/'))
        {
            ctx.Error(livenessField.Line, livenessField.Path, $"liveness_path must be an absolute path, found '{livenessPath}'", "write liveness_path: /livez");
        }
        else if (livenessPath is { Length: > 0 } && role != HealthCheckRole.Readiness)
        {
            ctx.Warning(livenessField.Line, livenessField.Path, "liveness_path is used only with health_check_role: readiness", "add health_check_role: readiness, or remove liveness_path");
        }

        var rebalance = BindRebalance(ctx, kubegate);
        var maxAge = kubegate.Duration("max_connection_age", positive: true);
        var jitter = PlainPercent(ctx, kubegate, "max_connection_age_jitter_percent", 10, "write max_connection_age_jitter_percent: 10");

        var discovery = kubegate.Find("discovery");
        kubegate.Finish();
        return (new KubegateClusterExtension { HealthCheckRole = role, LivenessPath = string.IsNullOrEmpty(livenessPath) ? null : livenessPath, Rebalance = rebalance, MaxConnectionAge = maxAge, MaxConnectionAgeJitterPercent = jitter }, discovery.HasValue ? discovery : null);
    }

    private static (double PanicThreshold, bool IgnoreNewHosts) BindCommonLb(BindContext ctx, MessageReader m)
    {
        var common = m.Message("common_lb_config", ProtoTypes.CommonLbConfig);
        if (common is null)
        {
            return (50, false);
        }

        var threshold = common.Percent("healthy_panic_threshold");
        var ignoreNewHosts = common.Bool("ignore_new_hosts_until_first_hc") ?? false;
        common.Finish();
        return (threshold ?? 50, ignoreNewHosts);
    }

    private static TcpKeepaliveConfig? BindUpstreamConnectionOptions(MessageReader m)
    {
        var options = m.Message("upstream_connection_options", ProtoTypes.UpstreamConnectionOptions);
        if (options is null)
        {
            return null;
        }

        TcpKeepaliveConfig? result = null;
        var keepalive = options.Message("tcp_keepalive", ProtoTypes.TcpKeepalive);
        if (keepalive is not null)
        {
            result = new TcpKeepaliveConfig(
                keepalive.UInt32Value("keepalive_probes"),
                keepalive.UInt32Value("keepalive_time"),
                keepalive.UInt32Value("keepalive_interval"));
            keepalive.Finish();
        }

        options.Finish();
        return result;
    }

    /// <summary>The default-priority <c>max_connections</c>; null when not written (Envoy's 1024 applies).</summary>
    private static int? BindCircuitBreakers(MessageReader m)
    {
        int? maxConnections = null;
        var breakers = m.Message("circuit_breakers", ProtoTypes.CircuitBreakers);
        if (breakers is null)
        {
            return null;
        }

        foreach (var element in breakers.List("thresholds"))
        {
            var thresholds = breakers.Message(element, ProtoTypes.Thresholds);
            if (thresholds is null)
            {
                continue;
            }

            var priority = thresholds.Enum("priority", ProtoEnum.RoutingPriority) ?? 0;
            var value = thresholds.UInt32Value("max_connections");
            thresholds.Finish();
            if (priority == 0 && value is not null)
            {
                maxConnections = (int)Math.Min(value.Value, int.MaxValue);
            }
        }

        breakers.Finish();
        return maxConnections;
    }

    private static ImmutableArray<BoundHealthCheck> BindHealthChecks(BindContext ctx, MessageReader m)
    {
        var field = m.Find("health_checks");
        var elements = ProtoValues.List(ctx, field);
        if (elements.Length > 1)
        {
            ctx.Error(elements[1].Line, field.Path, "Multiple health checks not supported", HealthCheckBinder.CheckerFix);
        }

        var builder = ImmutableArray.CreateBuilder<BoundHealthCheck>();
        foreach (var element in elements)
        {
            var reader = m.Message(element, ProtoTypes.HealthCheck);
            if (reader is not null && HealthCheckBinder.Bind(ctx, reader) is { } config)
            {
                builder.Add(new BoundHealthCheck(config, element.Path, element.Line));
            }
        }

        return builder.ToImmutable();
    }

    private static EquatableArray<TransportSocketMatchConfig> BindTransportSocketMatches(BindContext ctx, MessageReader m)
    {
        var builder = ImmutableArray.CreateBuilder<TransportSocketMatchConfig>();
        foreach (var element in m.List("transport_socket_matches"))
        {
            var entry = m.Message(element, ProtoTypes.TransportSocketMatch);
            if (entry is null)
            {
                continue;
            }

            var name = entry.RequiredString("name", "write name: tls");
            var matchField = entry.Find("match");
            var match = ProtoValues.ScalarStruct(ctx, matchField);
            var socketField = entry.Find("transport_socket");
            var socket = TransportSocketBinder.Bind(ctx, socketField);
            if (!socketField.HasValue)
            {
                entry.Missing("transport_socket", "write transport_socket: {name: envoy.transport_sockets.tls, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext}}");
            }

            entry.Finish();
            if (match.Count == 0 && socket?.Tls is not null)
            {
                ctx.Warning(
                    element.Line,
                    element.Path,
                    "a transport_socket_matches entry without match applies to every endpoint in Envoy, which would then wrap proxied connections in a second TLS layer",
                    "add match: {tls: true} and select it with the health check's transport_socket_match_criteria: {tls: true}");
            }

            if (name is not null && socket is not null)
            {
                builder.Add(new TransportSocketMatchConfig { Name = name, Match = match, TransportSocket = socket });
            }
        }

        return builder.ToImmutable();
    }

    private static void CheckHealthCheckTransportSockets(
        BindContext ctx,
        ImmutableArray<BoundHealthCheck> healthChecks,
        EquatableArray<TransportSocketMatchConfig> matches)
    {
        foreach (var healthCheck in healthChecks)
        {
            var criteria = healthCheck.Config!.TransportSocketMatchCriteria;
            if (criteria.Count == 0 || matches.AsSpan().ToArray().Any(match => match.Matches(criteria)))
            {
                continue;
            }

            var written = string.Join(", ", criteria.Select(p => $"{p.Key}: {p.Value}"));
            ctx.Error(
                healthCheck.Line,
                MessageReader.Child(healthCheck.Path, "transport_socket_match_criteria"),
                $"transport_socket_match_criteria {{{written}}} matches no transport_socket_matches entry of this cluster, so the check would silently use the cluster's default (plaintext) socket",
                $"add a transport_socket_matches entry with match: {{{written}}}, or fix the criteria");
        }
    }

    private sealed record BoundHealthCheck(HealthCheckConfig? Config, string Path, int Line);
}
