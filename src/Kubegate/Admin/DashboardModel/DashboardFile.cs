namespace Kubegate.Admin.DashboardModel;

/// <summary>A config file and its <c>version_info</c>.</summary>
internal sealed record DashboardFile(string File, string VersionInfo);
