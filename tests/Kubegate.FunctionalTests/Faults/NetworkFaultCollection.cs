namespace Kubegate.FunctionalTests.Faults;

/// <summary>
/// The network fault tests run one at a time and alone, after the parallel tests (as the "Heavy" collection's do):
/// each runs three processes and measures detection times against a bound, which another test's load on a 2-core
/// machine would stretch, and their own load (health checks every 250 ms, paced clients) must not stretch the
/// timing-sensitive tests either.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NetworkFaultCollection
{
    public const string Name = "NetworkFaults";
}
