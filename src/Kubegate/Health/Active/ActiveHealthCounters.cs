namespace Kubegate.Health.Active;

/// <summary>What the active health policy remembers of one host between checks.</summary>
/// <param name="FirstCheck">No result yet: the first pass makes a host healthy at once.</param>
/// <param name="Warming">Already serving when the check was configured: a first failure fails it at once.</param>
/// <param name="ConsecutiveSuccesses">Passes in a row while failed.</param>
/// <param name="ConsecutiveFailures">Counted failures in a row while healthy.</param>
internal readonly record struct ActiveHealthCounters(bool FirstCheck, bool Warming, uint ConsecutiveSuccesses, uint ConsecutiveFailures);
