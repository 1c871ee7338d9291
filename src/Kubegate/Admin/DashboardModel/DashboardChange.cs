namespace Kubegate.Admin.DashboardModel;

/// <summary>One change of an endpoint's state word, with its cause.</summary>
internal sealed record DashboardChange(string Time, string Source, string From, string To, string Reason);
