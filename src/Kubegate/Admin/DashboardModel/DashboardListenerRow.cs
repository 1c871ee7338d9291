namespace Kubegate.Admin.DashboardModel;

/// <summary>A listener as the dashboard shows it.</summary>
internal sealed record DashboardListenerRow(string Name, string Address, string Cluster, long ActiveConnections, long TotalConnections);
