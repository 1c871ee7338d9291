using Kubegate.Infrastructure;
using Kubegate.Stats;
using Microsoft.Extensions.Logging;

namespace Kubegate.Proxy.Reactors;

/// <summary>
/// The data path's event loops: <see cref="Count"/> reactors (Envoy's <c>--concurrency</c>, by default one per core
/// the process may run on), each accepting on every listener. Created and started with the server, stopped last.
/// </summary>
internal sealed partial class ReactorGroup : IDisposable
{
    /// <summary>The environment variable that chooses how reactors share a listener: <c>reuseport</c> (default) or <c>exclusive</c>.</summary>
    public const string AcceptVariable = "KUBEGATE_ACCEPT";

    private readonly Reactor[] _reactors;
    private readonly DescriptorBudget? _budget;

    /// <param name="budget">The descriptor reserve acceptors keep; null accepts until the kernel says EMFILE.</param>
    /// <param name="eventInterface">io_uring when the kernel allows it, or epoll (<c>--event-interface</c>).</param>
    public ReactorGroup(int count, Func<long> clock, ILogger logger, StatsStore stats, DescriptorBudget? budget = null, EventInterface eventInterface = EventInterface.Auto)
    {
        _budget = budget;
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var errors = stats.Counter("server.reactor_errors");
        _reactors = new Reactor[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                _reactors[i] = new Reactor(i, clock, logger, errors, eventInterface);
            }
        }
        catch
        {
            Dispose();
            throw;
        }

        foreach (var reactor in _reactors)
        {
            reactor.Start();
        }

        EventInterfaceName = _reactors[0].EventInterfaceName;
        if (_reactors[0].IoUringRefusal is { } refusal)
        {
            Log.IoUringRefused(logger, refusal);
        }

        Log.Started(logger, count, EventInterfaceName);
    }

    /// <summary>What the reactors wait on: "io_uring" or "epoll" (all reactors of a group make the same choice).</summary>
    public string EventInterfaceName { get; }

    public int Count => _reactors.Length;

    public IReadOnlyList<Reactor> Reactors => _reactors;

    /// <summary>The oldest heartbeat ping some reactor has not answered; <see cref="long.MaxValue"/> when all answered.</summary>
    public long OldestUnansweredPing
    {
        get
        {
            var oldest = long.MaxValue;
            foreach (var reactor in _reactors)
            {
                oldest = Math.Min(oldest, reactor.OldestUnansweredPing);
            }

            return oldest;
        }
    }

    public void Ping(long now)
    {
        foreach (var reactor in _reactors)
        {
            reactor.Ping(now);
        }
    }

    /// <summary>
    /// True when each reactor accepts on a listening socket of its own (SO_REUSEPORT, the kernel spreading new
    /// connections by a hash of their addresses); false when all reactors share one socket with EPOLLEXCLUSIVE.
    /// </summary>
    public bool SocketPerReactor { get; } = !string.Equals(Environment.GetEnvironmentVariable(AcceptVariable), "exclusive", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Starts accepting: <paramref name="listenFds"/> holds one socket for all reactors, or one per reactor
    /// (<see cref="SocketPerReactor"/>). The result stops it.
    /// </summary>
    public ListenerAcceptor[] StartAccepting(int[] listenFds, IAcceptHandler handler)
    {
        var acceptors = new ListenerAcceptor[_reactors.Length];
        for (var i = 0; i < acceptors.Length; i++)
        {
            var shared = listenFds.Length == 1;
            acceptors[i] = new ListenerAcceptor(_reactors[i], shared ? listenFds[0] : listenFds[i], handler, _budget, exclusive: shared);
            acceptors[i].Start();
        }

        return acceptors;
    }

    /// <summary>Stops accepting: completes once no reactor watches the socket any more, so it can be closed.</summary>
    public static Task StopAcceptingAsync(ListenerAcceptor[] acceptors) =>
        Task.WhenAll(acceptors.Select(a => a.RemoveAsync()));

    public void Dispose()
    {
        foreach (var reactor in _reactors)
        {
            reactor?.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ReactorsStarted, LogLevel.Information, "data path: {Count} reactor(s) on {EventInterface}", EventName = "ReactorsStarted")]
        public static partial void Started(ILogger logger, int count, string eventInterface);

        [LoggerMessage(EventIds.ReactorIoUringRefused, LogLevel.Information, "io_uring is not available ({Reason}); the reactors use epoll", EventName = "ReactorIoUringRefused")]
        public static partial void IoUringRefused(ILogger logger, string reason);
    }
}
