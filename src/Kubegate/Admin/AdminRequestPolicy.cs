using System.Net;

namespace Kubegate.Admin;

/// <summary>
/// What the admin interface refuses before any handler runs. It has no authentication (as Envoy's) and listens on
/// loopback, so the threat is a web page in the operator's browser: a cross-site form POST to
/// <c>/quitquitquit</c> (a "simple" request, sent without a preflight), or DNS rebinding, where a name the page
/// controls resolves to 127.0.0.1 and the browser treats kubegate's answers as that page's own.
/// </summary>
/// <remarks>
/// Browsers mark such requests and non-browser clients do not: a cross-site POST carries <c>Origin</c> (and
/// <c>Sec-Fetch-Site: cross-site</c>); a rebound request carries the page's name in <c>Host</c>. So curl, scripts,
/// Prometheus and <c>kubegate status</c> keep working unchanged, and the dashboard's own requests (same origin) pass.
/// </remarks>
internal static class AdminRequestPolicy
{
    /// <summary>The reason to refuse the request with 403, or null to serve it.</summary>
    /// <param name="method">The request method.</param>
    /// <param name="host">The Host header's host, without the port (brackets removed from an IPv6 literal).</param>
    /// <param name="hostHeader">The Host header as sent (host and port), compared with the Origin's authority.</param>
    /// <param name="origin">The Origin header, if any.</param>
    /// <param name="fetchSite">The Sec-Fetch-Site header, if any.</param>
    /// <param name="loopbackOnly">The admin listens on a loopback address only: then only loopback names are served.</param>
    public static string? Refuse(string method, string host, string hostHeader, string? origin, string? fetchSite, bool loopbackOnly)
    {
        if (loopbackOnly && !IsLoopbackName(host))
        {
            return $"Host '{hostHeader}' refused: the admin interface listens on loopback and answers only to a loopback address or localhost (a web page reaching it under another name is DNS rebinding)";
        }

        if (IsSafe(method))
        {
            return null;
        }

        if (fetchSite is { Length: > 0 } && fetchSite is not ("same-origin" or "none"))
        {
            return $"{method} refused: Sec-Fetch-Site '{fetchSite}' (a request sent by another web site); use curl -X {method} or the dashboard";
        }

        if (origin is { Length: > 0 } && !SameAuthority(origin, hostHeader))
        {
            return $"{method} refused: Origin '{origin}' is not this admin interface ({hostHeader}); use curl -X {method} or the dashboard";
        }

        return null;
    }

    /// <summary>
    /// The header the maintenance endpoints (<c>/kubegate/endpoint/*</c>) require. A cross-site form POST cannot send
    /// a custom header, and a cross-origin fetch with one needs a CORS preflight the admin never grants, so its
    /// presence shows the request comes from curl, <c>kubegate endpoint</c> or the dashboard itself.
    /// </summary>
    public const string IntentHeader = "X-Kubegate-Admin";

    /// <summary>Paths that change traffic and so also need <see cref="IntentHeader"/>.</summary>
    public static bool NeedsIntentHeader(string path) => path.StartsWith("/kubegate/", StringComparison.Ordinal);

    /// <summary>The reason to refuse a request to a path that needs <see cref="IntentHeader"/> without it, or null.</summary>
    public static string? RefuseWithoutIntent(string method, string path, string? intentHeader) =>
        NeedsIntentHeader(path) && !IsSafe(method) && string.IsNullOrEmpty(intentHeader)
            ? $"{method} {path} refused: it needs the header {IntentHeader} (a web page cannot send it cross-site); use kubegate endpoint, the dashboard, or curl -X {method} -H '{IntentHeader}: 1'"
            : null;

    private static bool IsSafe(string method) =>
        string.Equals(method, "GET", StringComparison.OrdinalIgnoreCase) || string.Equals(method, "HEAD", StringComparison.OrdinalIgnoreCase);

    private static bool IsLoopbackName(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || string.Equals(host, "localhost.", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>"null" (a sandboxed or file page) and anything unparsable are never the same authority.</summary>
    private static bool SameAuthority(string origin, string hostHeader) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttp
        && string.Equals(uri.Authority, hostHeader, StringComparison.OrdinalIgnoreCase);
}
