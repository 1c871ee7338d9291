namespace Kubegate.Admin.DashboardModel;

/// <summary>The configuration in force: the bootstrap path, each file's version, and each file's last reload.</summary>
internal sealed record DashboardConfig(string Path, IReadOnlyList<DashboardFile> Files, IReadOnlyList<DashboardReload> Reloads);
