namespace Kubegate.Admin.DashboardModel;

/// <summary>The last reload of one file: outcome, when, version and first problem.</summary>
internal sealed record DashboardReload(string Subscription, string File, string Outcome, string At, string? VersionInfo, string? Problem, int Problems);
