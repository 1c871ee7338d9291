namespace Kubegate.Proxy.Reactors;

/// <summary>
/// One listener's accepting on one reactor; the reactor that accepts a connection runs it (no hand-over between
/// threads). By default each reactor has a listening socket of its own in the listener's SO_REUSEPORT group, and the
/// kernel spreads new connections over them by a hash of their addresses; with <c>KUBEGATE_ACCEPT=exclusive</c> all
/// reactors share one socket registered with <c>EPOLLEXCLUSIVE</c>, so the kernel wakes one reactor per connection.
/// </summary>
/// <remarks>
/// Both were measured (bench/results/accept-modes.md, 2 rounds of W1, W1h2 and W2 each): a socket per reactor was ahead on every
/// figure (W1 1.04 against 0.94 of the best peer's req/s, W1h2 p99 0.98 against 1.11, 8 % less CPU per request),
/// because EPOLLEXCLUSIVE wakes the first reactor waiting in the socket's queue and so loads one reactor more than
/// the other. The price of SO_REUSEPORT: connections still queued in a socket's backlog when the listener closes
/// are reset (the listener closes all its sockets together, only when it is removed), and another process of the
/// same user could bind into the group.
/// When descriptors run out (EMFILE/ENFILE), or the data path would eat into <see cref="DescriptorBudget.Reserve"/>,
/// the acceptor stops watching its socket for <see cref="BackoffMilliseconds"/>: pending connections stay in the backlog
/// instead of waking the reactor again and again, and established connections go on unharmed.
/// </remarks>
internal sealed class ListenerAcceptor : ReactorTimer, IReactorHandler, IReactorWork
{
    /// <summary>How long accepting pauses after the process ran out of descriptors.</summary>
    public const long BackoffMilliseconds = 100;

    // Accepts per readiness event before the reactor serves its connections again; the socket stays readable
    // (level-triggered), so the rest come on the next turn.
    private const int AcceptsPerEvent = 64;

    private readonly Reactor _reactor;
    private readonly int _listenFd;
    private readonly IAcceptHandler _handler;
    private readonly DescriptorBudget? _budget;
    private readonly uint _events;
    private readonly TaskCompletionSource _removed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ulong _token;
    private volatile bool _removeRequested;
    private bool _done;
    private bool _backingOff;

    public ListenerAcceptor(Reactor reactor, int listenFd, IAcceptHandler handler, DescriptorBudget? budget = null, bool exclusive = true)
    {
        _events = exclusive ? Native.EPOLLIN | Native.EPOLLEXCLUSIVE : Native.EPOLLIN;
        _reactor = reactor;
        _listenFd = listenFd;
        _handler = handler;
        _budget = budget;
    }

    /// <summary>Completes once the reactor no longer watches or accepts on the socket (it may then be closed).</summary>
    public Task Removed => _removed.Task;

    /// <summary>Starts accepting (asynchronously, on the reactor).</summary>
    public void Start() => _reactor.Post(this);

    /// <summary>Stops accepting; <see cref="Removed"/> completes when the reactor has let go of the socket.</summary>
    public Task RemoveAsync()
    {
        _removeRequested = true;
        if (_reactor.IsStopping)
        {
            // The reactor no longer runs (process shutdown): nothing watches the socket any more.
            _removed.TrySetResult();
        }
        else
        {
            _reactor.Post(this);
        }

        return _removed.Task;
    }

    void IReactorWork.Execute()
    {
        if (_done)
        {
            return;
        }

        if (_removeRequested)
        {
            _done = true;
            _reactor.Timers.Cancel(this);
            _reactor.Unregister(_token, _listenFd);
            _token = 0;
            _removed.TrySetResult();
            return;
        }

        Register();
    }

    public void OnEvents(int side, uint events)
    {
        for (var i = 0; i < AcceptsPerEvent && !_done; i++)
        {
            if (_budget is { HasRoomForConnection: false })
            {
                BackOff(Native.EMFILE, _budget);
                return;
            }

            var peer = default(SocketAddressBuffer);
            var fd = Native.Accept(_listenFd, ref peer);
            if (fd >= 0)
            {
                _backingOff = false;
                _handler.OnAccepted(_reactor, fd, peer);
                continue;
            }

            var errno = Native.LastError;
            switch (errno)
            {
                case Native.EAGAIN:
                    return;
                case Native.EINTR:
                    continue;
                case Native.EMFILE or Native.ENFILE or Native.ENOBUFS or Native.ENOMEM:
                    BackOff(errno, reserveReached: null);
                    return;
                default:
                    // ECONNABORTED and the errors accept4 passes on from a connection that died in the backlog:
                    // that connection is gone, the listener is fine.
                    _handler.OnAcceptFailed(errno, backingOff: false, reserveReached: null);
                    continue;
            }
        }
    }

    public override void OnTimer(long now)
    {
        if (!_done && _token == 0)
        {
            Register();
        }
    }

    /// <summary>
    /// Stops watching the socket for <see cref="BackoffMilliseconds"/>: the pending connections wait in the backlog instead of
    /// waking the reactor again and again. Told to the handler once per stretch of back-offs, not every 100 ms.
    /// </summary>
    private void BackOff(int errno, DescriptorBudget? reserveReached)
    {
        if (!_backingOff)
        {
            _backingOff = true;
            _handler.OnAcceptFailed(errno, backingOff: true, reserveReached);
        }

        _reactor.Unregister(_token, _listenFd);
        _token = 0;
        _reactor.Timers.Schedule(this, _reactor.Now + BackoffMilliseconds);
    }

    public void OnFailed(Exception exception)
    {
        // Keep the listener serving: a handler that threw for one accepted connection says nothing about the socket.
    }

    private void Register()
    {
        if (_token != 0)
        {
            return;
        }

        _token = _reactor.Register(this, _listenFd, 0, _events, out var errno);
        if (_token == 0)
        {
            _handler.OnAcceptFailed(errno, backingOff: true, reserveReached: null);
            _reactor.Timers.Schedule(this, _reactor.Now + BackoffMilliseconds);
        }
    }
}
