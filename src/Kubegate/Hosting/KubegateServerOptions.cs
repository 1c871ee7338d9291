using Kubegate.Listeners;
using Kubegate.Proxy;

namespace Kubegate.Hosting;

/// <summary>Process-level settings of <see cref="KubegateServer"/> (from the command line, not the config files).</summary>
internal sealed record KubegateServerOptions
{
    /// <summary>Envoy's default <c>--drain-time-s</c>: 600 s.</summary>
    public static readonly TimeSpan DefaultDrainTime = ListenerManager.DefaultDrainTime;

    /// <summary>How long open connections may take to finish at shutdown before they are closed.</summary>
    public TimeSpan DrainTime { get; init; } = DefaultDrainTime;

    /// <summary>How open connections are encouraged to close during the shutdown drain; default gradual, as in Envoy.</summary>
    public DrainStrategy DrainStrategy { get; init; } = DrainStrategy.Gradual;

    /// <summary>One reactor per CPU the process may use (its affinity and cgroup quota, as .NET counts them).</summary>
    public static int DefaultConcurrency => Environment.ProcessorCount;

    /// <summary>How many reactors (event-loop threads) accept and relay connections; default <see cref="DefaultConcurrency"/>.</summary>
    public int Concurrency { get; init; } = DefaultConcurrency;

    /// <summary>How the reactors learn about ready sockets: io_uring when the kernel allows it (default), or epoll.</summary>
    public Proxy.Reactors.EventInterface EventInterface { get; init; } = Proxy.Reactors.EventInterface.Auto;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// How long an admin client may take to send its request headers before the connection is closed (a slow-loris
    /// client holds a connection by sending a byte now and then). 10 s: an operator's curl sends them at once.
    /// </summary>
    public TimeSpan AdminRequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Randomness for RANDOM, LEAST_REQUEST and weighted clusters; null means <see cref="Random.Shared"/>.</summary>
    public Random? Random { get; init; }

    /// <summary>Pool of copy buffers; null means <see cref="System.Buffers.ArrayPool{T}.Shared"/>.</summary>
    public System.Buffers.ArrayPool<byte>? BufferPool { get; init; }

    /// <summary>Pool of splice pipes; null means <see cref="Proxy.Splice.PipePool.Shared"/> (off when KUBEGATE_SPLICE=0).</summary>
    public Proxy.Splice.PipePool? PipePool { get; init; }
}
