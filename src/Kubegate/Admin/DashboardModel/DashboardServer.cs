namespace Kubegate.Admin.DashboardModel;

/// <summary>The server-wide part: version, Envoy's state name, uptime and the server's clock (ISO 8601 UTC).</summary>
internal sealed record DashboardServer(string Version, string State, long UptimeSeconds, string Now);
