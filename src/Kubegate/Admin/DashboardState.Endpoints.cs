using System.Collections.Concurrent;

namespace Kubegate.Admin;

/// <summary>
/// The dashboard's admin routes: the static page (HTML, CSS, JS embedded in the binary as resources named
/// <c>kubegate.dashboard.&lt;file&gt;</c>) and <c>/dashboard/state</c>.
/// </summary>
internal static class DashboardEndpoints
{
    public const string HtmlContentType = "text/html; charset=UTF-8";
    public const string CssContentType = "text/css; charset=UTF-8";
    public const string JavaScriptContentType = "text/javascript; charset=UTF-8";

    private static readonly ConcurrentDictionary<string, string?> Assets = new(StringComparer.Ordinal);

    /// <summary>The embedded file <paramref name="name"/>, or a 404 when the binary was built without it.</summary>
    public static AdminResponse Asset(string name, string contentType)
    {
        var body = Assets.GetOrAdd(name, static n => Load(n));
        return body is null ? AdminResponse.Text("dashboard asset missing: " + name + "\n", 404) : new AdminResponse(200, contentType, body);
    }

    /// <summary>The text of embedded dashboard file <paramref name="name"/>; null when missing.</summary>
    public static string? Load(string name)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("kubegate.dashboard." + name);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static AdminResponse State(IAdminHost server, ServerState state, TimeSpan uptime, DateTimeOffset now)
    {
        var stats = server.Stats;
        var listeners = server.Listeners.Listeners.Select(l =>
        {
            // Every chain's cluster(s), once each: a listener shared by SNI serves several clusters.
            var cluster = string.Join(", ", l.Config.AllFilterChains
                .SelectMany(c => c.TcpProxy.Cluster is { } single ? [single] : c.TcpProxy.WeightedClusters.Select(w => w.Name))
                .Distinct(StringComparer.Ordinal));
            var address = (l.LocalEndPoint ?? l.Config.Address.ToEndPoint()).ToString();
            var scope = l.Config.StatScope;
            return new DashboardListener(l.Name, address, cluster, stats.GetValue(scope + "downstream_cx_active"), stats.GetValue(scope + "downstream_cx_total"));
        }).ToList();

        var snapshot = server.Snapshot;
        var clusters = new List<Clusters.ClusterState>();
        foreach (var config in snapshot.Clusters)
        {
            if (server.Clusters.TryGet(config.Name, out var cluster))
            {
                clusters.Add(cluster);
            }
        }

        var info = new DashboardServerInfo(server.Version, state, uptime, now);
        var document = DashboardState.Build(info, listeners, clusters, stats, snapshot, server.ReloadStatus.Entries) with
        {
            Warnings = Warnings(server, clusters, snapshot, now),
        };
        return AdminResponse.Json(DashboardState.FormatJson(document));
    }

    /// <summary>Certificates expired or expiring within 30 days, and apiserver lists discovery refused or cannot read.</summary>
    private static List<string> Warnings(IAdminHost server, IReadOnlyList<Clusters.ClusterState> clusters, Configuration.ConfigSnapshot snapshot, DateTimeOffset now)
    {
        var warnings = new List<string>(CertsFormatter.Warnings(CertsFormatter.Collect(clusters), CertsFormatter.CollectFiles(snapshot), now));
        foreach (var discovery in server.DiscoveryStatuses)
        {
            if (discovery.Problem is { } problem)
            {
                warnings.Add($"cluster {discovery.Cluster}: discovery: {problem}");
            }
        }

        return warnings;
    }
}
