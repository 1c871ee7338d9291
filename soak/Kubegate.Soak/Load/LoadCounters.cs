namespace Kubegate.Soak.Load;

/// <summary>What the loads did, as counters updated with <see cref="Interlocked"/> from every load task.</summary>
internal sealed class LoadCounters
{
    /// <summary>Stream bytes sent through kubegate, echoed back through it, and verified.</summary>
    public long StreamBytes;

    /// <summary>Checksummed chunks verified.</summary>
    public long StreamChunks;

    /// <summary>Stream connections opened, and those that ended cleanly (half-close answered with EOF).</summary>
    public long StreamsOpened;
    public long StreamsCompleted;

    /// <summary>HTTP requests answered correctly on a new TLS connection each, and on kept-alive connections.</summary>
    public long NewConnectionRequests;
    public long KeepAliveRequests;

    /// <summary>HTTP requests that failed (any kind).</summary>
    public long FailedRequests;

    /// <summary>Watches opened, those that ran their whole life, and the events they received in order.</summary>
    public long WatchesOpened;
    public long WatchesCompleted;
    public long WatchEvents;

    public long Requests => Interlocked.Read(ref NewConnectionRequests) + Interlocked.Read(ref KeepAliveRequests) + Interlocked.Read(ref FailedRequests);
}
