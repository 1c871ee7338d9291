using Kubegate.Soak.Errors;
using Kubegate.Soak.Sampling;

namespace Kubegate.Soak.Reporting;

/// <summary>Everything one soak run measured, for the report and the plot.</summary>
internal sealed class SoakResult
{
    public required DateTime StartedUtc { get; init; }

    public required string Command { get; init; }

    public required TimeSpan Planned { get; init; }

    /// <summary>How long the loads actually ran (shorter if kubegate died).</summary>
    public required TimeSpan LoadDuration { get; init; }

    public required MachineInfo Machine { get; init; }

    public required long StreamBytes { get; init; }

    public required long StreamChunks { get; init; }

    public required long StreamsOpened { get; init; }

    public required long StreamsCompleted { get; init; }

    public required long NewConnectionRequests { get; init; }

    public required long KeepAliveRequests { get; init; }

    public required long FailedRequests { get; init; }

    public required long WatchesOpened { get; init; }

    public required long WatchesCompleted { get; init; }

    public required long WatchEvents { get; init; }

    public required IReadOnlyList<ErrorCount> Errors { get; init; }

    public long Faults => Errors.Where(e => !e.Expected).Sum(e => e.Count);

    public long ExpectedErrors => Errors.Where(e => e.Expected).Sum(e => e.Count);

    /// <summary>Before the load, once kubegate had started and its first health checks passed.</summary>
    public required ProcessSample Idle { get; init; }

    /// <summary>During the load, every <see cref="Load.LoadPlan.SamplePeriod"/>.</summary>
    public required IReadOnlyList<ProcessSample> Samples { get; init; }

    /// <summary>After the load stopped and kubegate had closed its connections (or 20 s passed).</summary>
    public required ProcessSample? AfterLoad { get; init; }

    /// <summary>kubegate's downstream connections still open after the load (listener gauges).</summary>
    public required long ConnectionsLeftOpen { get; init; }

    public required int Reloads { get; init; }

    public required int ReloadsApplied { get; init; }

    /// <summary>Updates kubegate counted as rejected or failed (update_rejected + update_failure of every subscription).</summary>
    public required long UpdatesRefused { get; init; }

    public required int HealthFlips { get; init; }

    public required int HealthFlipsSeen { get; init; }

    public required IReadOnlyList<string> FlapProblems { get; init; }

    /// <summary>Connections each upstream accepted (the apiservers' include kubegate's health checks).</summary>
    public required IReadOnlyList<(string Name, long Connections)> Upstreams { get; init; }

    /// <summary>Selected kubegate stats at the end (reactor errors, connect failures, ...).</summary>
    public required IReadOnlyList<(string Name, long Value)> Stats { get; init; }

    /// <summary>Whether kubegate was still running when the load ended.</summary>
    public required bool SurvivedLoad { get; init; }

    /// <summary>Whether it exited by itself within 30 s of SIGTERM, and with what code.</summary>
    public required bool StoppedOnTerm { get; init; }

    public required int? ExitCode { get; init; }

    public required long LogWarnings { get; init; }

    public required long LogUnhealthyHostWarnings { get; init; }

    public required long LogErrors { get; init; }

    /// <summary>The end of kubegate's log when something went wrong (empty otherwise).</summary>
    public required IReadOnlyList<string> LogTail { get; init; }

    public long Requests => NewConnectionRequests + KeepAliveRequests + FailedRequests;

    /// <summary>kubegate's CPU time over the load, from the first to the last sample.</summary>
    public TimeSpan LoadCpu => Samples.Count < 2 ? TimeSpan.Zero : Samples[^1].CpuTime - Samples[0].CpuTime;

    /// <summary>A real fault: an unexplained error, a crash, a refused or unapplied reload, a leak.</summary>
    public bool Passed => Faults == 0 && LogErrors == 0 && SurvivedLoad && StoppedOnTerm && ExitCode == 0 && UpdatesRefused == 0
        && ReloadsApplied == Reloads && HealthFlipsSeen == HealthFlips && ConnectionsLeftOpen == 0
        && AfterLoad is { } after && !Leaked(after);

    /// <summary>
    /// kubegate's splice pipe pool keeps up to this many idle pipe ends after a load, by design (PipePool: 64 idle
    /// pipes, two descriptors each), so pipes are allowed up to it.
    /// </summary>
    public const int PooledPipeEnds = 2 * 64;

    /// <summary>More sockets or other descriptors open after the load than idle before it, or more pipe ends than the pool keeps.</summary>
    public bool Leaked(ProcessSample after) => after.Sockets > Idle.Sockets || after.Other > Idle.Other || after.Pipes > PooledPipeEnds;
}
