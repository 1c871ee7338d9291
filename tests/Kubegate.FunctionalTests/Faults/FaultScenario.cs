namespace Kubegate.FunctionalTests.Faults;

/// <summary>One fault to put on apiserver A (and take off again), and what kubegate must do about it.</summary>
/// <param name="Name">The report's name for the fault.</param>
/// <param name="Inject">Puts the fault on; returns once it is in effect.</param>
/// <param name="Remove">Ends the fault (A answers again).</param>
/// <param name="Requests">What happens to client requests that start while the fault is on.</param>
/// <param name="Ejected">Whether A must be flagged unhealthy (false: a fault a health check must not mistake for a dead host).</param>
internal sealed record FaultScenario(string Name, Func<FaultBed, Task> Inject, Func<FaultBed, Task> Remove, RequestExpectation Requests, bool Ejected = true)
{
    /// <summary>Checks beyond the unhealthy threshold the bound allows (random loss fails checks only most of the time).</summary>
    public int ExtraChecks { get; init; }

    /// <summary>A's streams must end (kubegate passes on the reset or the dead peer's end) while the fault is on.</summary>
    public bool StreamsToFaultyHostEnd { get; init; }

    /// <summary>Each of A's streams ends with a reset, as A's side sent one (kubegate turns a reset into a reset).</summary>
    public bool StreamsToFaultyHostReset { get; init; }

    /// <summary>A 1 MiB echo through A runs while the fault is on and must come back whole (a slow host, not a dead one).</summary>
    public bool BulkThroughFaultyHost { get; init; }

    /// <summary>A connection to A, idle after one exchange when the fault starts (a watch), and how kubegate must end it.</summary>
    public IdleConnectionExpectation? IdleConnection { get; init; }

    /// <summary>Checksummed streams to A from before the fault (B always gets two).</summary>
    public int StreamsToFaultyHost { get; init; } = 2;
}
