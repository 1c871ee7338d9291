namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// Bulk-transfer and many-connection tests: they run alone, after the parallel ones, so they neither starve nor get
/// starved by the timing-sensitive tests (idle and connect timeouts) on a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeavyTestCollection
{
    public const string Name = "Heavy";
}
