using System.Text.Json.Serialization;

namespace Kubegate.Admin.DashboardModel;

/// <summary>
/// One endpoint: its state word and why, its counters, its last check and its recent health changes; what it takes
/// (<c>serving</c>: UP, DRAINING, DISABLED, DOWN), an operator's maintenance state, and its slow-start weight in
/// percent while it ramps up.
/// </summary>
internal sealed record DashboardEndpoint(
    string Address,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Hostname,
    string State,
    string? Reason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EjectedUntil,
    string HealthFlags,
    uint Weight,
    int Priority,
    long ActiveConnections,
    long TotalConnections,
    long ConnectFailures,
    DashboardCheck? LastCheck,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CertificateNotAfter,
    IReadOnlyList<DashboardChange> Changes,
    string Serving = "UP",
    string Maintenance = "enabled",
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? SlowStartPercent = null);
