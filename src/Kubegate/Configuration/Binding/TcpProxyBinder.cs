using System.Collections.Immutable;

namespace Kubegate.Configuration.Binding;

/// <summary>Binds <c>envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy</c> (spec 2.2).</summary>
internal static class TcpProxyBinder
{
    public static TcpProxyConfig? Bind(BindContext ctx, MessageReader m, string? listenerName)
    {
        var statPrefixField = m.Find("stat_prefix");
        var statPrefix = ProtoValues.String(ctx, statPrefixField);
        var clusterField = m.Find("cluster");
        var cluster = ProtoValues.String(ctx, clusterField);
        var weightedField = m.Find("weighted_clusters");
        var idleTimeout = m.Duration("idle_timeout");
        var attemptsField = m.Find("max_connect_attempts");
        var attempts = ProtoValues.UInt32(ctx, attemptsField, wrapper: true);
        var maxDuration = m.Duration("max_downstream_connection_duration", minimum: TimeSpan.FromMilliseconds(1));
        var accessLog = AccessLogBinder.BindList(ctx, m.Find("access_log"));
        var optionsField = m.Find("access_log_options");
        var legacyFlushField = m.Find("access_log_flush_interval");
        var legacyOnConnectedField = m.Find("flush_access_log_on_connected");
        var failed = false;

        if (statPrefix is null)
        {
            failed = true;
            if (!statPrefixField.HasValue)
            {
                m.Missing("stat_prefix", $"add stat_prefix: {listenerName ?? "<name>"} (tcp_proxy stats are named tcp.<stat_prefix>.*)", "missing required field 'stat_prefix' (min length 1)");
            }
        }
        else if (statPrefix.Length == 0)
        {
            failed = true;
            ctx.Error(statPrefixField.Line, statPrefixField.Path, "stat_prefix must not be empty (min length 1)", $"write stat_prefix: {listenerName ?? "<name>"}");
        }

        var weighted = EquatableArray<WeightedClusterConfig>.Empty;
        if (clusterField.HasValue && weightedField.HasValue)
        {
            failed = true;
            ctx.ParseError(
                weightedField.Line,
                m.Path,
                "'cluster' and 'weighted_clusters' are both set; they are alternatives (oneof cluster_specifier)",
                "keep cluster: <name> for one cluster, or weighted_clusters to split connections");
        }
        else if (weightedField.HasValue)
        {
            weighted = BindWeighted(ctx, weightedField, ref failed);
        }
        else if (clusterField.HasValue)
        {
            if (cluster is null)
            {
                failed = true;
            }
            else if (cluster.Length == 0)
            {
                failed = true;
                ctx.Error(clusterField.Line, clusterField.Path, "cluster must not be empty", "write the name of a cluster defined in cds.yaml");
            }
        }
        else
        {
            failed = true;
            m.Missing("cluster", "add cluster: <cluster name> (or weighted_clusters)", "tcp_proxy needs 'cluster' or 'weighted_clusters' (oneof cluster_specifier is required)");
        }

        if (attempts == 0)
        {
            failed = true;
            ctx.Error(attemptsField.Line, attemptsField.Path, "max_connect_attempts must be at least 1", "write max_connect_attempts: 1 (one try) or more to retry failed connects");
        }

        var options = BindOptions(ctx, optionsField, legacyFlushField, legacyOnConnectedField);
        m.Finish();

        return failed || statPrefix is null
            ? null
            : new TcpProxyConfig
            {
                StatPrefix = statPrefix,
                Cluster = weighted.IsEmpty ? cluster : null,
                WeightedClusters = weighted,
                IdleTimeout = idleTimeout ?? TcpProxyConfig.DefaultIdleTimeout,
                MaxConnectAttempts = (int)(attempts ?? 1),
                MaxDownstreamConnectionDuration = maxDuration,
                AccessLog = accessLog,
                AccessLogOptions = options,
                ClusterLocation = ctx.Location(weightedField.HasValue ? weightedField.Line : clusterField.Line),
            };
    }

    private static EquatableArray<WeightedClusterConfig> BindWeighted(BindContext ctx, Field field, ref bool failed)
    {
        var weighted = MessageReader.Open(ctx, field, ProtoTypes.WeightedCluster);
        if (weighted is null)
        {
            failed = true;
            return EquatableArray<WeightedClusterConfig>.Empty;
        }

        var builder = ImmutableArray.CreateBuilder<WeightedClusterConfig>();
        var clustersField = weighted.Find("clusters");
        var elements = ProtoValues.List(ctx, clustersField);
        if (elements.IsEmpty)
        {
            failed = true;
            ctx.Error(clustersField.Line, clustersField.Path, "weighted_clusters needs at least one entry in clusters", "write clusters: [{name: <cluster>, weight: 1}]");
        }

        foreach (var element in elements)
        {
            var entry = weighted.Message(element, ProtoTypes.ClusterWeight);
            if (entry is null)
            {
                failed = true;
                continue;
            }

            var name = entry.RequiredString("name", "write name: <cluster>");
            var weightField = entry.Find("weight");
            var weight = ProtoValues.UInt32(ctx, weightField, wrapper: false);
            entry.Finish();
            if (weight is null or 0)
            {
                failed = true;
                if (weight == 0 || !weightField.HasValue)
                {
                    ctx.Error(weightField.Line, weightField.Path, "weight must be at least 1", "write weight: 1");
                }
            }

            if (name is null)
            {
                failed = true;
            }
            else if (weight is > 0)
            {
                builder.Add(new WeightedClusterConfig(name, weight.Value));
            }
        }

        weighted.Finish();
        return builder.ToImmutable();
    }

    private static AccessLogOptionsConfig? BindOptions(BindContext ctx, Field optionsField, Field legacyFlush, Field legacyOnConnected)
    {
        if (optionsField.HasValue && (legacyFlush.HasValue || legacyOnConnected.HasValue))
        {
            var legacy = legacyFlush.HasValue ? legacyFlush : legacyOnConnected;
            ctx.Error(
                legacy.Line,
                legacy.Path,
                $"'{legacy.Key}' (deprecated) and 'access_log_options' are both set",
                "move the setting into access_log_options and remove the top-level one");
            return null;
        }

        if (legacyFlush.HasValue || legacyOnConnected.HasValue)
        {
            var interval = ProtoValues.Duration(ctx, legacyFlush, minimum: TimeSpan.FromMilliseconds(1));
            var onConnected = ProtoValues.Bool(ctx, legacyOnConnected, wrapper: false) ?? false;
            foreach (var legacy in new[] { legacyFlush, legacyOnConnected }.Where(f => f.HasValue))
            {
                ctx.Deprecated(legacy.Line, legacy.Path, legacy.Key, $"write access_log_options: {{{legacy.Name}: ...}}");
            }

            return new AccessLogOptionsConfig { FlushInterval = interval, FlushOnConnected = onConnected };
        }

        var options = MessageReader.Open(ctx, optionsField, ProtoTypes.TcpAccessLogOptions);
        if (options is null)
        {
            return null;
        }

        var result = new AccessLogOptionsConfig
        {
            FlushInterval = options.Duration("access_log_flush_interval", minimum: TimeSpan.FromMilliseconds(1)),
            FlushOnConnected = options.Bool("flush_access_log_on_connected") ?? false,
            FlushOnStart = options.Bool("flush_access_log_on_start") ?? false,
        };
        options.Finish();
        return result;
    }
}
