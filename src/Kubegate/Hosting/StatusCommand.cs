using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Kubegate.Admin.DashboardModel;

namespace Kubegate.Hosting;

/// <summary>
/// <c>kubegate status [--admin host:port]</c>: fetches the admin interface's <c>/dashboard/state</c> and prints one
/// line per cluster endpoint. Reads the document through the admin's own <see cref="DashboardJsonContext"/>
/// (source-generated, AOT-safe), so the names written and read cannot drift apart.
/// </summary>
internal static class StatusCommand
{
    public const string DefaultAdmin = "127.0.0.1:10000";

    private static readonly string[] Headers = ["CLUSTER", "ENDPOINT", "SERVING", "STATE", "ACTIVE", "TOTAL", "LAST CHECK", "REASON"];

    public static async Task<int> RunAsync(string admin, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate("http://" + admin + "/dashboard/state", UriKind.Absolute, out var uri))
        {
            await stderr.WriteLineAsync($"kubegate status: '{admin}' is not a host:port address").ConfigureAwait(false);
            return 1;
        }

        string body;
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var response = await http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                await stderr.WriteLineAsync($"kubegate status: {uri} answered {(int)response.StatusCode}: {body.Trim()}").ConfigureAwait(false);
                return 1;
            }
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"kubegate status: cannot reach the admin interface at {admin} ({e.Message}). "
                + "Is kubegate running, and is --admin its bootstrap's admin.address?").ConfigureAwait(false);
            return 1;
        }

        try
        {
            var document = JsonSerializer.Deserialize(body, DashboardJsonContext.Default.DashboardDocument)
                ?? throw new JsonException("the document is null");
            await stdout.WriteAsync(Render(document)).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"kubegate status: {uri} did not answer with a dashboard state document ({e.Message})").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The header line (server version, state, uptime), then the aligned endpoint table.</summary>
    public static string Render(DashboardDocument state)
    {
        var text = new StringBuilder();
        var server = state.Server;
        text.Append("kubegate ").Append(server.Version)
            .Append("  state ").Append(server.State)
            .Append("  uptime ").Append(server.UptimeSeconds.ToString(CultureInfo.InvariantCulture)).Append("s\n\n");

        var rows = new List<string[]> { Headers };
        foreach (var cluster in state.Clusters)
        {
            var name = cluster.Name + (cluster.Panic ? " (PANIC)" : string.Empty);
            if (cluster.Endpoints.Count == 0)
            {
                rows.Add([name, "-", "-", "-", "-", "-", "-", "no endpoints"]);
            }

            foreach (var endpoint in cluster.Endpoints)
            {
                rows.Add(
                [
                    name,
                    endpoint.Address,
                    Serving(endpoint),
                    endpoint.State,
                    endpoint.ActiveConnections.ToString(CultureInfo.InvariantCulture),
                    endpoint.TotalConnections.ToString(CultureInfo.InvariantCulture),
                    LastCheck(endpoint.LastCheck),
                    endpoint.Reason ?? "-",
                ]);
            }
        }

        var widths = new int[Headers.Length];
        foreach (var row in rows)
        {
            for (var i = 0; i < row.Length; i++)
            {
                widths[i] = Math.Max(widths[i], row[i].Length);
            }
        }

        foreach (var row in rows)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            text.Append(line.ToString().TrimEnd()).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>UP, DRAINING, DISABLED or DOWN; the maintenance state and slow start when they apply.</summary>
    private static string Serving(DashboardEndpoint endpoint) =>
        endpoint.Serving
        + (endpoint.Maintenance is "drain" or "disable" ? " (maintenance)" : string.Empty)
        + (endpoint.SlowStartPercent is { } percent ? " (slow start " + percent.ToString("0", CultureInfo.InvariantCulture) + "%)" : string.Empty);

    private static string LastCheck(DashboardCheck? check) =>
        check is null ? "-" : (check.Succeeded ? "ok" : "FAIL") + " " + check.LatencyMs.ToString("0.#", CultureInfo.InvariantCulture) + "ms";
}
