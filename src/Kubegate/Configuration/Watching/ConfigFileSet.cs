using System.Collections.Immutable;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// The configuration as the files that make it up: the bootstrap and the last good parse of each LDS, CDS and EDS
/// file, plus what each file held when last read. A reload replaces one file's parse and composes the snapshot again
/// (<see cref="ConfigLoader.Compose"/>), so the files that did not change are neither re-read nor re-validated.
/// Immutable; the reload loop swaps a new one in after each accepted update.
/// </summary>
/// <param name="Bootstrap">The bootstrap (never reloaded, as in Envoy).</param>
/// <param name="Listeners">The last good LDS file, or null without <c>lds_config</c>.</param>
/// <param name="Clusters">The last good CDS file, or null without <c>cds_config</c>.</param>
/// <param name="Endpoints">
/// The EDS file in force for each EDS cluster, by cluster name. An update without a ClusterLoadAssignment does not
/// replace the entry (Envoy keeps the previous endpoints), so this always says which endpoints are in use.
/// </param>
/// <param name="Hashes">What each file (by full path) held when last read, accepted or not.</param>
/// <param name="Result">The composed configuration: the snapshot in force (or, for a failed start-up, the problems).</param>
internal sealed record ConfigFileSet(
    BootstrapFileResult Bootstrap,
    DynamicFileResult<ListenerConfig>? Listeners,
    DynamicFileResult<ClusterConfig>? Clusters,
    ImmutableDictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>> Endpoints,
    ImmutableDictionary<string, ContentHash> Hashes,
    ConfigLoadResult Result)
{
    public ConfigSnapshot? Snapshot => Result.Snapshot;

    /// <summary>
    /// Reads the bootstrap and every file it references, file by file, as <see cref="ConfigLoader.Load"/> does, keeping
    /// each file's parse and content hash for later reloads.
    /// </summary>
    public static ConfigFileSet Load(ConfigLoader loader, string bootstrapPath)
    {
        var hashes = ImmutableDictionary.CreateBuilder<string, ContentHash>(StringComparer.Ordinal);
        var bootstrap = loader.ParseBootstrap(bootstrapPath);
        var config = bootstrap.Bootstrap;

        DynamicFileResult<ListenerConfig>? listeners = null;
        if (config.LdsConfig is { } lds)
        {
            hashes[lds.FullPath] = ContentHash.Of(lds.FullPath);
            listeners = loader.ParseListenerFile(lds);
        }

        DynamicFileResult<ClusterConfig>? clusters = null;
        if (config.CdsConfig is { } cds)
        {
            hashes[cds.FullPath] = ContentHash.Of(cds.FullPath);
            clusters = loader.ParseClusterFile(cds);
        }

        var endpoints = ImmutableDictionary.CreateBuilder<string, DynamicFileResult<ClusterLoadAssignmentConfig>>(StringComparer.Ordinal);
        var parsed = new Dictionary<(string, string), DynamicFileResult<ClusterLoadAssignmentConfig>>();
        foreach (var cluster in EdsClusters(config.StaticClusters, clusters?.Resources ?? []))
        {
            var source = cluster.EdsConfig!;
            var key = (source.FullPath, cluster.ExpectedEdsClusterName);
            if (!parsed.TryGetValue(key, out var result))
            {
                if (!hashes.ContainsKey(source.FullPath))
                {
                    hashes[source.FullPath] = ContentHash.Of(source.FullPath);
                }

                result = loader.ParseEndpointFile(source, cluster.ExpectedEdsClusterName);
                parsed.Add(key, result);
            }

            endpoints[cluster.Name] = result;
        }

        var map = endpoints.ToImmutable();
        return new ConfigFileSet(bootstrap, listeners, clusters, map, hashes.ToImmutable(), ConfigLoader.Compose(bootstrap, listeners, clusters, map));
    }

    /// <summary>The clusters that read an EDS file, static ones first, first of each name (as Compose keeps them).</summary>
    public static IEnumerable<ClusterConfig> EdsClusters(IEnumerable<ClusterConfig> staticClusters, IEnumerable<ClusterConfig> dynamicClusters) =>
        staticClusters.Concat(dynamicClusters)
            .DistinctBy(c => c.Name, StringComparer.Ordinal)
            .Where(c => c.Type == DiscoveryType.Eds && c.EdsConfig is not null);

    /// <summary>The EDS clusters of the snapshot in force.</summary>
    public IEnumerable<ClusterConfig> ActiveEdsClusters =>
        Snapshot is { } snapshot ? snapshot.Clusters.Where(c => c.Type == DiscoveryType.Eds && c.EdsConfig is not null) : [];

    /// <summary>
    /// What to watch: the directory of each file (matched by name), and each <c>watched_directory</c> (any entry). The
    /// file's own directory is watched even when <c>watched_directory</c> is set, so an in-place write or a move still
    /// reloads (kubegate's superset of Envoy, which then watches only the directory).
    /// </summary>
    public IReadOnlyList<WatchTarget> WatchTargets()
    {
        var targets = new List<WatchTarget>();
        void Add(string key, ConfigSourceConfig source)
        {
            targets.Add(new WatchTarget(key, Path.GetDirectoryName(source.FullPath)!, Path.GetFileName(source.FullPath)));
            if (source.WatchedDirectory is { } watched)
            {
                targets.Add(new WatchTarget(key, Path.TrimEndingDirectorySeparator(watched), null));
            }
        }

        if (Bootstrap.Bootstrap.LdsConfig is { } lds)
        {
            Add(ConfigReloader.ListenersKey, lds);
        }

        if (Bootstrap.Bootstrap.CdsConfig is { } cds)
        {
            Add(ConfigReloader.ClustersKey, cds);
        }

        foreach (var source in ActiveEdsClusters.Select(c => c.EdsConfig!).DistinctBy(s => s.FullPath, StringComparer.Ordinal))
        {
            Add(ConfigReloader.EndpointsKey(source.FullPath), source);
        }

        return targets.Distinct().ToList();
    }
}
