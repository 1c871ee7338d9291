namespace Kubegate.Configuration.Watching;

/// <summary>
/// One EDS file and every cluster reading it (one subscription each): each cluster's assignment is parsed, refused or
/// found empty on its own; the changed ones are composed and applied together.
/// </summary>
internal sealed class EndpointFileRefresh(ConfigReloader reloader, string fullPath) : ConfigFileRefresh(reloader)
{
    private List<ClusterConfig> _clusters = [];

    public override FileTarget? Select(ConfigFileSet current)
    {
        _clusters = [.. current.ActiveEdsClusters.Where(c => string.Equals(c.EdsConfig!.FullPath, fullPath, StringComparison.Ordinal))];
        return _clusters.Count == 0
            ? null
            : new FileTarget(_clusters[0].EdsConfig!, [.. _clusters.Select(c => new FileSubscriber(ConfigReloader.EndpointsSubscription(c), Reloader.EndpointStats(c)))]);
    }

    public override ParsedChange? Parse(ConfigFileSet current, FileTarget target, List<ReloadResult> results)
    {
        var read = new Dictionary<string, DynamicFileResult<ClusterLoadAssignmentConfig>>(StringComparer.Ordinal);
        var endpoints = current.Endpoints.ToBuilder();
        var updates = new List<SubscriptionUpdate>();
        for (var i = 0; i < _clusters.Count; i++)
        {
            var cluster = _clusters[i];
            var subscriber = target.Subscribers[i];
            if (!read.TryGetValue(cluster.ExpectedEdsClusterName, out var parsed))
            {
                parsed = Reloader.Loader.ParseEndpointFile(cluster.EdsConfig!, cluster.ExpectedEdsClusterName);
                Reloader.CountUnknownFields(parsed);
                read.Add(cluster.ExpectedEdsClusterName, parsed);
            }

            if (!parsed.Succeeded)
            {
                results.Add(Reloader.Reporter.Refused(subscriber, parsed.File, parsed.VersionInfo, parsed.ParseFailed, parsed.Problems));
            }
            else if (parsed.Resources.IsEmpty)
            {
                // Envoy (eds.cc): no ClusterLoadAssignment is not an error; update_empty counts it and the previous
                // endpoints stay. The entry in force is left as it is, so the next snapshot still carries them.
                results.Add(Reloader.Reporter.Empty(subscriber, parsed.File, parsed.VersionInfo, parsed.Problems));
            }
            else
            {
                endpoints[cluster.Name] = parsed;
                updates.Add(new SubscriptionUpdate(subscriber, parsed.File, parsed.VersionInfo, parsed.Problems));
            }
        }

        return updates.Count == 0 ? null : new ParsedChange(current with { Endpoints = endpoints.ToImmutable() }, updates);
    }
}
