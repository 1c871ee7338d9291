using System.Net.Sockets;
using Kubegate.Admin;

namespace Kubegate.Hosting;

/// <summary>
/// <c>kubegate endpoint drain|disable|enable [--admin host:port] CLUSTER ADDRESS</c>: POSTs to the admin interface's
/// maintenance endpoint with the header it requires, and prints its answer.
/// </summary>
internal static class EndpointCommand
{
    public static readonly (string Action, string Help)[] Actions =
    [
        ("drain", "Send no new connections to the endpoint; its open connections end by themselves."),
        ("disable", "Drain the endpoint, then close its open connections gently, a few at a time at quiet moments."),
        ("enable", "Put a drained or disabled endpoint back in service (with slow start, if configured)."),
    ];

    public static async Task<int> RunAsync(string admin, string action, string cluster, string address, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        var target = $"http://{admin}/kubegate/endpoint/{action}?cluster={Uri.EscapeDataString(cluster)}&address={Uri.EscapeDataString(address)}";
        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri))
        {
            await stderr.WriteLineAsync($"kubegate endpoint: '{admin}' is not a host:port address").ConfigureAwait(false);
            return 1;
        }

        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var request = new HttpRequestMessage(HttpMethod.Post, uri);
            request.Headers.Add(AdminRequestPolicy.IntentHeader, "1");
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var body = (await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).Trim();
            if (!response.IsSuccessStatusCode)
            {
                await stderr.WriteLineAsync($"kubegate endpoint {action}: {body}").ConfigureAwait(false);
                return 1;
            }

            await stdout.WriteLineAsync(body).ConfigureAwait(false);
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or TaskCanceledException)
        {
            await stderr.WriteLineAsync($"kubegate endpoint: cannot reach the admin interface at {admin} ({e.Message}). "
                + "Is kubegate running, and is --admin its bootstrap's admin.address?").ConfigureAwait(false);
            return 1;
        }
    }
}
