using System.Collections.Immutable;
using System.Net;
using Kubegate.Configuration.Yaml;

namespace Kubegate.Configuration.Binding;

/// <summary>Binds the bootstrap (<c>envoy.config.bootstrap.v3.Bootstrap</c>, spec 1.1/1.2).</summary>
internal static class BootstrapBinder
{
    public static BootstrapFileResult Bind(BindContext ctx, ConfigNode? root, string bootstrapPath)
    {
        var empty = new BootstrapConfig { Path = bootstrapPath };
        if (root is null)
        {
            // Line 1, not 0 ("the whole file", kept for files that cannot be read): an empty file still has a first line.
            ctx.Error(1, string.Empty, "the bootstrap is empty", "write node, admin and dynamic_resources (see examples/k8s-api-proxy/envoy.yaml)");
            return Result(ctx, empty, [], []);
        }

        var m = MessageReader.Open(ctx, root, string.Empty, ProtoTypes.Bootstrap);
        if (m is null)
        {
            return Result(ctx, empty, [], []);
        }

        var nodeField = m.Find("node");
        string? nodeId = null;
        string? nodeCluster = null;
        var node = MessageReader.Open(ctx, nodeField, ProtoTypes.Node);
        if (node is not null)
        {
            nodeId = node.String("id");
            nodeCluster = node.String("cluster");
            node.Finish();
        }

        var listeners = ImmutableArray.CreateBuilder<Placed<ListenerConfig>>();
        var clusters = ImmutableArray.CreateBuilder<Placed<ClusterConfig>>();
        var staticResources = m.Message("static_resources", ProtoTypes.StaticResources);
        if (staticResources is not null)
        {
            foreach (var element in staticResources.List("listeners"))
            {
                var reader = staticResources.Message(element, ProtoTypes.Listener);
                if (reader is not null && ListenerBinder.Bind(ctx, reader) is { } listener)
                {
                    listeners.Add(new Placed<ListenerConfig>(listener, element.Path));
                }
            }

            foreach (var element in staticResources.List("clusters"))
            {
                var reader = staticResources.Message(element, ProtoTypes.Cluster);
                if (reader is not null && ClusterBinder.Bind(ctx, reader) is { } cluster)
                {
                    clusters.Add(new Placed<ClusterConfig>(cluster, element.Path));
                }
            }

            staticResources.Finish();
            var duplicates = new List<ConfigError>();
            var keptListeners = SnapshotValidator.CheckListeners(listeners, duplicates, acrossFilesOnly: false);
            var keptClusters = SnapshotValidator.CheckClusters(clusters, duplicates, acrossFilesOnly: false);
            duplicates.ForEach(ctx.Add);
            listeners.Clear();
            listeners.AddRange(keptListeners);
            clusters.Clear();
            clusters.AddRange(keptClusters);
        }

        ConfigSourceConfig? lds = null;
        ConfigSourceConfig? cds = null;
        var dynamicResources = m.Message("dynamic_resources", ProtoTypes.DynamicResources);
        var hasDynamic = false;
        string? firstDynamicType = null;
        if (dynamicResources is not null)
        {
            var cdsField = dynamicResources.Find("cds_config");
            var ldsField = dynamicResources.Find("lds_config");
            cds = ConfigSourceBinder.Bind(ctx, cdsField);
            lds = ConfigSourceBinder.Bind(ctx, ldsField);
            dynamicResources.Finish();
            if (cdsField.HasValue)
            {
                firstDynamicType = ProtoTypes.Cluster;
            }
            else if (ldsField.HasValue)
            {
                firstDynamicType = ProtoTypes.Listener;
            }

            hasDynamic = cdsField.HasValue || ldsField.HasValue;
        }

        if (clusters.Any(c => c.Resource.Type == DiscoveryType.Eds) || HasStaticEds(staticResources))
        {
            hasDynamic = true;
            firstDynamicType = ProtoTypes.ClusterLoadAssignment;
        }

        var admin = BindAdmin(ctx, m.Message("admin", ProtoTypes.Admin));
        m.Finish();

        if (hasDynamic && (string.IsNullOrEmpty(nodeId) || string.IsNullOrEmpty(nodeCluster)))
        {
            ctx.Error(
                nodeField.HasValue ? nodeField.Line : m.Line,
                "node",
                $"{ProtoTypes.Url(firstDynamicType!)}: node 'id' and 'cluster' are required. Set it either in 'node' config or via --service-node and --service-cluster options.",
                "add to the bootstrap: node: {id: kubegate-1, cluster: kubegate} (any names; Envoy requires them for file-based xDS too)");
        }

        var bootstrap = new BootstrapConfig
        {
            Path = bootstrapPath,
            NodeId = string.IsNullOrEmpty(nodeId) ? null : nodeId,
            NodeCluster = string.IsNullOrEmpty(nodeCluster) ? null : nodeCluster,
            Admin = admin,
            LdsConfig = lds,
            CdsConfig = cds,
            StaticListeners = listeners.Select(l => l.Resource).ToImmutableArray(),
            StaticClusters = clusters.Select(c => c.Resource).ToImmutableArray(),
        };
        return Result(ctx, bootstrap, listeners.ToImmutable(), clusters.ToImmutable());
    }

    // A static EDS cluster that failed to bind still needs a node; look at the raw type field.
    private static bool HasStaticEds(MessageReader? staticResources) =>
        staticResources?.Node.Entries.FirstOrDefault(e => e.Key == "clusters").Value is ConfigSequence clusters
        && clusters.Items.OfType<ConfigMapping>().Any(c => c.Entries.Any(e => e.Key == "type" && e.Value is ConfigScalar { Text: var t } && t.Equals("EDS", StringComparison.OrdinalIgnoreCase)));

    private static AdminConfig? BindAdmin(BindContext ctx, MessageReader? m)
    {
        if (m is null)
        {
            return null;
        }

        var addressField = m.Find("address");
        var address = AddressBinder.Bind(ctx, addressField, AddressUse.Admin);
        var accessLogPathField = m.Find("access_log_path");
        var accessLogPath = ProtoValues.String(ctx, accessLogPathField);
        if (accessLogPath is not null)
        {
            ctx.Deprecated(
                accessLogPathField.Line,
                accessLogPathField.Path,
                "access_log_path",
                "remove it (the admin interface then logs nothing) or write access_log: [{name: envoy.access_loggers.file, typed_config: {\"@type\": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog, path: <file>}}]");
        }

        var accessLog = AccessLogBinder.BindList(ctx, m.Find("access_log"));
        var profilePath = m.String("profile_path");
        m.Finish();

        if (address is not null && !IPAddress.IsLoopback(address.Address))
        {
            ctx.Warning(
                addressField.Line,
                MessageReader.Child(addressField.Path, "socket_address.address"),
                $"the admin interface listens on {address.Address}: it has no authentication, and anyone who reaches it can stop the server (POST /quitquitquit) or change its state",
                "bind it to the loopback address: address: 127.0.0.1 (reach it through SSH or a local agent)");
        }

        return new AdminConfig
        {
            Address = address,
            AccessLogPath = accessLogPath,
            AccessLog = accessLog,
            ProfilePath = profilePath,
        };
    }

    private static BootstrapFileResult Result(BindContext ctx, BootstrapConfig bootstrap, ImmutableArray<Placed<ListenerConfig>> listeners, ImmutableArray<Placed<ClusterConfig>> clusters) =>
        new(
            bootstrap,
            ctx.File,
            ctx.FullPath,
            listeners.Select(l => l.Path).ToImmutableArray(),
            clusters.Select(c => c.Path).ToImmutableArray(),
            ctx.DeclaredClusters.Select(d => d.Name).Where(n => !clusters.Any(c => c.Resource.Name == n)).ToImmutableArray(),
            [.. ctx.Problems]);
}
