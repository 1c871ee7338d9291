namespace Kubegate.Admin.DashboardModel;

/// <summary>An endpoint's last active health check.</summary>
internal sealed record DashboardCheck(string Time, bool Succeeded, double LatencyMs, string Result);
