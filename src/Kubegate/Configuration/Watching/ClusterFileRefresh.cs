using System.Collections.Immutable;
using Kubegate.Stats;

namespace Kubegate.Configuration.Watching;

/// <summary>
/// The CDS file: one subscription, plus the EDS files of the clusters it adds (their first read is part of this
/// update, which is refused when one of them is invalid); after the swap, the new EDS subscriptions are counted and
/// watched.
/// </summary>
internal sealed class ClusterFileRefresh(ConfigReloader reloader) : SingleFileRefresh<ClusterConfig>(reloader, ConfigReloader.ClustersKey)
{
    private readonly List<ClusterConfig> _started = [];

    protected override SubscriptionStats? Stats => Reloader.ClusterStats;

    protected override ConfigSourceConfig? SourceIn(ConfigFileSet current) => current.Bootstrap.Bootstrap.CdsConfig;

    protected override DynamicFileResult<ClusterConfig> ParseFile(ConfigSourceConfig source) => Reloader.Loader.ParseClusterFile(source);

    protected override ConfigFileSet With(ConfigFileSet current, DynamicFileResult<ClusterConfig> parsed)
    {
        // The EDS files of the new cluster set: a cluster that keeps its EDS file keeps the endpoints in force (its own
        // subscription goes on); a new one (or one pointed at another file) is a new subscription whose first read is
        // now, and must be valid for the CDS update to be accepted.
        var previous = current.ActiveEdsClusters.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var endpoints = ImmutableDictionary.CreateBuilder<string, DynamicFileResult<ClusterLoadAssignmentConfig>>(StringComparer.Ordinal);
        var hashes = current.Hashes.ToBuilder();
        var read = new Dictionary<(string, string), DynamicFileResult<ClusterLoadAssignmentConfig>>();
        foreach (var cluster in ConfigFileSet.EdsClusters(current.Bootstrap.Bootstrap.StaticClusters, parsed.Resources))
        {
            var eds = cluster.EdsConfig!;
            if (previous.TryGetValue(cluster.Name, out var before)
                && string.Equals(before.EdsConfig!.FullPath, eds.FullPath, StringComparison.Ordinal)
                && string.Equals(before.ExpectedEdsClusterName, cluster.ExpectedEdsClusterName, StringComparison.Ordinal)
                && current.Endpoints.TryGetValue(cluster.Name, out var kept))
            {
                endpoints[cluster.Name] = kept;
                continue;
            }

            var key = (eds.FullPath, cluster.ExpectedEdsClusterName);
            if (!read.TryGetValue(key, out var result))
            {
                // A file already watched for another cluster keeps the hash it was last processed with, so a pending
                // change of it is still seen as a change by that file's own refresh.
                if (!hashes.ContainsKey(eds.FullPath))
                {
                    hashes[eds.FullPath] = ContentHash.Of(eds.FullPath);
                }

                result = Reloader.Loader.ParseEndpointFile(eds, cluster.ExpectedEdsClusterName);
                Reloader.CountUnknownFields(result);
                read.Add(key, result);
            }

            endpoints[cluster.Name] = result;
            _started.Add(cluster);
        }

        return current with { Clusters = parsed, Endpoints = endpoints.ToImmutable(), Hashes = hashes.ToImmutable() };
    }

    public override ConfigFileSet Completing(ConfigFileSet next)
    {
        // Forget the hashes of files no longer read (a dropped cluster's EDS file).
        var paths = next.ActiveEdsClusters.Select(c => c.EdsConfig!.FullPath)
            .Append(next.Bootstrap.Bootstrap.LdsConfig?.FullPath)
            .Append(next.Bootstrap.Bootstrap.CdsConfig?.FullPath)
            .ToHashSet(StringComparer.Ordinal);
        var hashes = next.Hashes.ToBuilder();
        foreach (var path in hashes.Keys.Where(p => !paths.Contains(p)).ToList())
        {
            hashes.Remove(path);
        }

        return next with { Hashes = hashes.ToImmutable() };
    }

    public override void AfterSwap(ConfigFileSet before, ConfigFileSet after)
    {
        var now = Reloader.Time.GetUtcNow();
        foreach (var cluster in _started)
        {
            Reloader.CountFirstEndpointRead(cluster, after.Endpoints[cluster.Name], now);
        }

        var inUse = after.WatchTargets();
        if (!before.WatchTargets().SequenceEqual(inUse))
        {
            Reloader.Watch(inUse);

            // A new EDS file may have changed between its read above and its watch starting: check it once more.
            foreach (var cluster in _started)
            {
                Reloader.Request(ConfigReloader.EndpointsKey(cluster.EdsConfig!.FullPath));
            }
        }
    }
}
