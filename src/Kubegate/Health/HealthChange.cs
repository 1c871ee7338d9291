using Kubegate.Clusters;

namespace Kubegate.Health;

/// <summary>One change of a host's health flags, with what caused it.</summary>
/// <param name="Time">When the flags changed.</param>
/// <param name="Before">The flags before.</param>
/// <param name="After">The flags after.</param>
/// <param name="Source"><c>active_hc</c>, <c>outlier</c> or <c>eds</c>.</param>
/// <param name="Reason">Why, e.g. <c>3 consecutive NETWORK failures: connection refused</c>.</param>
internal sealed record HealthChange(DateTimeOffset Time, HealthFlags Before, HealthFlags After, string Source, string Reason);
