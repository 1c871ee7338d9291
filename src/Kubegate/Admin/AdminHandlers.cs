using Kubegate.Clusters;
using System.Text;
using System.Text.RegularExpressions;
using Kubegate.Stats;

namespace Kubegate.Admin;

/// <summary>
/// The admin endpoints, independent of HTTP plumbing: a request (method, path, query) in, an
/// <see cref="AdminResponse"/> out. Routing is Envoy's: the path before <c>?</c> must equal a handler's exactly;
/// mutating handlers take POST only.
/// </summary>
internal sealed class AdminHandlers
{
    private readonly IAdminHost _server;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly Dictionary<string, Handler> _handlers;
    private int _healthCheckFailed;

    public AdminHandlers(IAdminHost server, TimeProvider time)
    {
        _server = server;
        _time = time;
        _startTimestamp = time.GetTimestamp();
        Handler[] handlers =
        [
            new("/", "live web dashboard (polls /dashboard/state)", false, _ => DashboardEndpoints.Asset("index.html", DashboardEndpoints.HtmlContentType)),
            new("/dashboard.css", "dashboard stylesheet", false, _ => DashboardEndpoints.Asset("dashboard.css", DashboardEndpoints.CssContentType)),
            new("/dashboard.js", "dashboard script", false, _ => DashboardEndpoints.Asset("dashboard.js", DashboardEndpoints.JavaScriptContentType)),
            new("/dashboard/state", "listeners, clusters and endpoint health as one JSON document", false, _ => DashboardEndpoints.State(_server, State, _time.GetElapsedTime(_startTimestamp), _time.GetUtcNow())),
            new("/certs", "print certificate chain information", false, _ => Certs()),
            new("/clusters", "upstream cluster status", false, Clusters),
            new("/config_dump", "dump current Envoy configs (params: resource, include_eds)", false, ConfigDump),
            new("/drain_listeners", "drain listeners (params: graceful, inboundonly)", true, DrainListeners),
            new("/healthcheck/fail", "cause the server to fail health checks", true, _ => SetHealthCheckFailed(true)),
            new("/healthcheck/ok", "cause the server to pass health checks", true, _ => SetHealthCheckFailed(false)),
            new("/help", "print out list of admin commands", false, _ => Help()),
            new("/kubegate/endpoint/disable", "drain an endpoint, then close its connections gently (params: cluster, address; header X-Kubegate-Admin)", true, query => Maintenance(query, MaintenanceMode.Disable)),
            new("/kubegate/endpoint/drain", "send no new connections to an endpoint (params: cluster, address; header X-Kubegate-Admin)", true, query => Maintenance(query, MaintenanceMode.Drain)),
            new("/kubegate/endpoint/enable", "undo drain or disable (params: cluster, address; header X-Kubegate-Admin)", true, query => Maintenance(query, MaintenanceMode.None)),
            new("/listeners", "print listener info", false, Listeners),
            new("/logging", "query/change logging levels (param: level)", true, query => _server.LogLevels.Handle(query)),
            new("/memory", "print current allocation/heap usage", false, _ => AdminResponse.Json(MemoryFormatter.FormatJson())),
            new("/quitquitquit", "exit the server", true, _ => Quit()),
            new("/ready", "print server state, return 200 if LIVE, otherwise return 503", false, _ => Ready()),
            new("/reopen_logs", "reopen access logs", true, _ => ReopenLogs()),
            new("/reset_counters", "reset all counters to zero", true, _ => ResetCounters()),
            new("/server_info", "print server version/status information", false, _ => ServerInfo()),
            new("/stats", "print server stats", false, Stats),
            new("/stats/prometheus", "print server stats in prometheus format", false, query => Stats(query, prometheus: true)),
        ];
        _handlers = handlers.ToDictionary(h => h.Path, StringComparer.Ordinal);
        HelpText = BuildHelp(handlers);
    }

    /// <summary>The <c>/help</c> body: <c>admin commands are:</c> then one line per handler, alphabetically.</summary>
    public string HelpText { get; }

    /// <summary>True after <c>/healthcheck/fail</c>, until <c>/healthcheck/ok</c>.</summary>
    public bool HealthCheckFailed => Volatile.Read(ref _healthCheckFailed) != 0;

    public ServerState State =>
        _server.IsStopping || HealthCheckFailed ? ServerState.Draining
        : _server.IsStarted ? ServerState.Live
        : ServerState.PreInitializing;

    public AdminResponse Handle(string method, string path, IReadOnlyDictionary<string, string> query)
    {
        if (!_handlers.TryGetValue(path, out var handler))
        {
            return AdminResponse.Text("invalid path. " + HelpText, 404);
        }

        if (handler.PostOnly && !string.Equals(method, "POST", StringComparison.OrdinalIgnoreCase))
        {
            return AdminResponse.Text($"Method {method} not allowed, POST required.", 405);
        }

        return handler.Run(query);
    }

    private static string BuildHelp(IEnumerable<Handler> handlers)
    {
        var text = new StringBuilder("admin commands are:\n");
        foreach (var handler in handlers.OrderBy(h => h.Path, StringComparer.Ordinal))
        {
            text.Append("  ").Append(handler.Path).Append(handler.PostOnly ? " (POST)" : string.Empty).Append(": ").Append(handler.Help).Append('\n');
        }

        return text.ToString();
    }

    private static bool IsJson(IReadOnlyDictionary<string, string> query) =>
        query.TryGetValue("format", out var format) && string.Equals(format, "json", StringComparison.Ordinal);

    private AdminResponse Clusters(IReadOnlyDictionary<string, string> query)
    {
        var snapshot = _server.Snapshot;
        var views = new List<ClusterView>();
        foreach (var config in snapshot.Clusters)
        {
            if (_server.Clusters.TryGet(config.Name, out var cluster))
            {
                var isStatic = snapshot.Bootstrap.StaticClusters.Any(c => string.Equals(c.Name, config.Name, StringComparison.Ordinal));
                views.Add(new ClusterView(cluster, AddedViaApi: !isStatic));
            }
        }

        return IsJson(query) ? AdminResponse.Json(ClustersFormatter.FormatJson(views)) : AdminResponse.Text(ClustersFormatter.FormatText(views));
    }

    private AdminResponse Listeners(IReadOnlyDictionary<string, string> query)
    {
        var views = _server.Listeners.Listeners
            .Select(l => new ListenerView(l.Name, l.LocalEndPoint ?? l.Config.Address.ToEndPoint()))
            .ToList();
        return IsJson(query) ? AdminResponse.Json(ListenersFormatter.FormatJson(views)) : AdminResponse.Text(ListenersFormatter.FormatText(views));
    }

    private AdminResponse Help() => AdminResponse.Text(HelpText);

    private AdminResponse Ready()
    {
        var state = State;
        return AdminResponse.Text(state.ToEnvoyName() + "\n", state == ServerState.Live ? 200 : 503);
    }

    private AdminResponse SetHealthCheckFailed(bool failed)
    {
        Volatile.Write(ref _healthCheckFailed, failed ? 1 : 0);
        _server.Stats.Gauge("server.live").Set(failed ? 0 : 1);
        _server.Stats.Gauge("server.state").Set((long)State);
        return AdminResponse.Text("OK\n");
    }

    private AdminResponse ResetCounters()
    {
        _server.Stats.ResetCounters();
        return AdminResponse.Text("OK\n");
    }

    private AdminResponse ServerInfo()
    {
        var bootstrap = _server.Snapshot.Bootstrap;
        var info = new ServerInfo(_server.Version, State, _time.GetElapsedTime(_startTimestamp), bootstrap.Path, bootstrap.NodeId, bootstrap.NodeCluster);
        return AdminResponse.Json(ServerInfoFormatter.FormatJson(info));
    }

    private AdminResponse Stats(IReadOnlyDictionary<string, string> query) => Stats(query, prometheus: false);

    private AdminResponse Stats(IReadOnlyDictionary<string, string> query, bool prometheus)
    {
        Regex? filter = null;
        if (query.TryGetValue("filter", out var pattern) && pattern.Length > 0
            && !StatsSelection.TryCreateFilter(pattern, out filter, out var error))
        {
            return AdminResponse.Text($"Invalid re2 regex: {error}\n", 400);
        }

        var format = query.GetValueOrDefault("format") ?? "text";
        prometheus |= string.Equals(format, "prometheus", StringComparison.Ordinal);
        var usedOnly = query.ContainsKey("usedonly");
        if (prometheus)
        {
            var numeric = StatsSelection.Select(_server.Stats, filter, usedOnly, includeTextReadouts: false);
            var histograms = HistogramSelection.Select(_server.Stats, filter, usedOnly);
            var certificates = filter is null
                ? CertsFormatter.FormatPrometheus(CertsFormatter.Collect(_server.Clusters.Clusters), CertsFormatter.CollectFiles(_server.Snapshot), _time.GetUtcNow())
                : string.Empty;
            return new AdminResponse(200, AdminResponse.PrometheusContentType, PrometheusFormatter.Format(numeric, histograms) + certificates);
        }

        var stats = StatsSelection.Select(_server.Stats, filter, usedOnly);
        var histogramStats = HistogramSelection.Select(_server.Stats, filter, usedOnly);
        return format switch
        {
            "json" => AdminResponse.Json(StatsTextFormatter.FormatJson(stats, histogramStats)),
            "text" => AdminResponse.Text(StatsTextFormatter.FormatText(stats, histogramStats)),
            _ => AdminResponse.Text("usage: /stats?format=(text|json|prometheus)&filter=<regex>&usedonly\n", 400),
        };
    }

    private AdminResponse Certs() =>
        AdminResponse.Json(CertsFormatter.FormatJson(CertsFormatter.Collect(_server.Clusters.Clusters), CertsFormatter.CollectFiles(_server.Snapshot), _time.GetUtcNow()));

    private AdminResponse ConfigDump(IReadOnlyDictionary<string, string> query)
    {
        var resource = query.GetValueOrDefault("resource") is { Length: > 0 } r ? r : null;
        var dump = ConfigDumpFormatter.Format(_server.Snapshot, query.ContainsKey("include_eds"), resource);
        return dump is null
            ? AdminResponse.Text($"resource {resource} not found in config dump (one of: {string.Join(", ", ConfigDumpFormatter.Resources)})\n", 404)
            : AdminResponse.Json(dump);
    }

    private AdminResponse DrainListeners(IReadOnlyDictionary<string, string> query)
    {
        // Every listener here is inbound, so ?inboundonly changes nothing. Stopping sockets is quick: the admin
        // request waits for it so that the listeners are closed when the answer arrives.
        _server.Listeners.DrainListenersAsync(query.ContainsKey("graceful")).GetAwaiter().GetResult();
        return AdminResponse.Text("OK\n");
    }

    /// <summary>
    /// An operator's drain, disable or enable of one endpoint (HAProxy's <c>set server state</c>): kept across reloads
    /// until enabled; <c>disable</c>'s gentle closes are the data path's, at quiet moments.
    /// </summary>
    private AdminResponse Maintenance(IReadOnlyDictionary<string, string> query, MaintenanceMode mode)
    {
        if (!query.TryGetValue("cluster", out var name) || name.Length == 0 || !query.TryGetValue("address", out var address) || address.Length == 0)
        {
            return AdminResponse.Text("usage: POST /kubegate/endpoint/(drain|disable|enable)?cluster=<cluster>&address=<ip:port>\n", 400);
        }

        if (!_server.Clusters.TryGet(name, out var cluster))
        {
            return AdminResponse.Text($"no cluster {name} (clusters: {string.Join(", ", _server.Clusters.Clusters.Select(c => c.Name).Order(StringComparer.Ordinal))})\n", 404);
        }

        if (!cluster.SetMaintenance(address, mode))
        {
            return AdminResponse.Text($"cluster {name} has no endpoint {address} (endpoints: {string.Join(", ", cluster.AllHosts.Hosts.Select(h => h.AddressText))})\n", 404);
        }

        _server.OnMaintenanceChanged(name, address, mode);
        return AdminResponse.Text($"{name} {address}: {MaintenanceName(mode)}\n");
    }

    /// <summary>How a maintenance state reads in answers, the dashboard and <c>/clusters</c>.</summary>
    public static string MaintenanceName(MaintenanceMode mode) => mode switch
    {
        MaintenanceMode.Drain => "drain",
        MaintenanceMode.Disable => "disable",
        _ => "enabled",
    };

    private AdminResponse Quit()
    {
        // After the answer: the stop waits for in-flight admin requests, this one included.
        var server = _server;
        ThreadPool.QueueUserWorkItem(_ => server.Quit());
        return AdminResponse.Text("OK\n");
    }

    private AdminResponse ReopenLogs()
    {
        _server.ReopenLogs();
        return AdminResponse.Text("OK\n");
    }

    private sealed record Handler(string Path, string Help, bool PostOnly, Func<IReadOnlyDictionary<string, string>, AdminResponse> Run);
}
