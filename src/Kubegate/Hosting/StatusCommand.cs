using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Kubegate.Hosting;

/// <summary>
/// <c>kubegate status [--admin host:port]</c>: fetches the admin interface's <c>/dashboard/state</c> and prints one
/// line per cluster endpoint. Parses with <see cref="JsonDocument"/> (no reflection, AOT-safe).
/// </summary>
internal static class StatusCommand
{
    public const string DefaultAdmin = "127.0.0.1:10000";

    private static readonly string[] Headers = ["CLUSTER", "ENDPOINT", "STATE", "ACTIVE", "TOTAL", "LAST CHECK", "REASON"];

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
            using var document = JsonDocument.Parse(body);
            await stdout.WriteAsync(Render(document.RootElement)).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"kubegate status: {uri} did not answer with a dashboard state document ({e.Message})").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>The header line (server version, state, uptime), then the aligned endpoint table.</summary>
    public static string Render(JsonElement state)
    {
        var text = new StringBuilder();
        var server = state.GetProperty("server");
        text.Append("kubegate ").Append(server.GetProperty("version").GetString())
            .Append("  state ").Append(server.GetProperty("state").GetString())
            .Append("  uptime ").Append(server.GetProperty("uptime_seconds").GetInt64().ToString(CultureInfo.InvariantCulture)).Append("s\n\n");

        var rows = new List<string[]> { Headers };
        foreach (var cluster in state.GetProperty("clusters").EnumerateArray())
        {
            var name = cluster.GetProperty("name").GetString() ?? string.Empty;
            if (cluster.GetProperty("panic").GetBoolean())
            {
                name += " (PANIC)";
            }

            var endpoints = cluster.GetProperty("endpoints");
            if (endpoints.GetArrayLength() == 0)
            {
                rows.Add([name, "-", "-", "-", "-", "-", "no endpoints"]);
            }

            foreach (var endpoint in endpoints.EnumerateArray())
            {
                rows.Add(
                [
                    name,
                    endpoint.GetProperty("address").GetString() ?? string.Empty,
                    endpoint.GetProperty("state").GetString() ?? string.Empty,
                    endpoint.GetProperty("active_connections").GetInt64().ToString(CultureInfo.InvariantCulture),
                    endpoint.GetProperty("total_connections").GetInt64().ToString(CultureInfo.InvariantCulture),
                    LastCheck(endpoint),
                    endpoint.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString()! : "-",
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

    private static string LastCheck(JsonElement endpoint)
    {
        if (!endpoint.TryGetProperty("last_check", out var check) || check.ValueKind != JsonValueKind.Object)
        {
            return "-";
        }

        var latency = check.GetProperty("latency_ms").GetDouble().ToString("0.#", CultureInfo.InvariantCulture);
        return (check.GetProperty("succeeded").GetBoolean() ? "ok" : "FAIL") + " " + latency + "ms";
    }
}
