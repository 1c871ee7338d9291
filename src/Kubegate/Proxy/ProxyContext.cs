using System.Buffers;
using Kubegate.AccessLog;
using Kubegate.Clusters;
using Kubegate.Proxy.Splice;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy;

/// <summary>The process-wide services every proxied connection needs, passed as one reference.</summary>
internal sealed class ProxyContext
{
    public ProxyContext(ClusterManager clusters, ConnectionManager connections, ILogger logger, TimeProvider time, Random? random = null, ArrayPool<byte>? bufferPool = null, AccessLogManager? accessLogs = null, PipePool? pipePool = null)
    {
        PipePool = pipePool ?? PipePool.Shared;
        AccessLogs = accessLogs;
        BufferPool = bufferPool ?? ArrayPool<byte>.Shared;
        Clusters = clusters;
        Connections = connections;
        Logger = logger;
        Time = time;
        Random = random ?? Random.Shared;
    }

    public ClusterManager Clusters { get; }

    public ConnectionManager Connections { get; }

    /// <summary>The reactors that accept and run connections (the connection manager's).</summary>
    public Reactors.ReactorGroup Reactors => Connections.Reactors ?? throw new InvalidOperationException("the connection manager runs no reactors");

    public ILogger Logger { get; }

    public TimeProvider Time { get; }

    public Random Random { get; }

    /// <summary>Where copy buffers come from; tests pass a counting pool to prove idle connections hold none.</summary>
    public ArrayPool<byte> BufferPool { get; }

    /// <summary>
    /// Where splice pipes come from (Linux); a disabled pool makes every connection copy through
    /// <see cref="BufferPool"/> instead. Tests pass their own pool to prove idle connections hold no pipe.
    /// </summary>
    public PipePool PipePool { get; }

    /// <summary>Where access-log lines go; null when the process writes none (some tests).</summary>
    public AccessLogManager? AccessLogs { get; }
}
