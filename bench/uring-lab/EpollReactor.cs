using Kubegate.Proxy.Reactors;

namespace UringLab;

/// <summary>
/// The epoll back end: kubegate's reactor shape cut down to what a keep-alive or one-shot HTTP exchange touches. One
/// thread, one edge-triggered epoll instance, one SO_REUSEPORT listening socket; both sockets of a connection are
/// registered once (input, output and peer-close together) and never modified, so the hot path is epoll_wait, recv,
/// send and nothing else. No timers, no drain, no splice: those are not what the comparison is about.
/// </summary>
internal sealed unsafe class EpollReactor(byte* listenAddress, byte* upstreamAddress) : ReadinessReactor(upstreamAddress)
{
    private const int MaxEvents = 256;
    private const int AcceptsPerEvent = 64;

    private int _epollFd;
    private int _listenFd;

    public void Run()
    {
        _epollFd = Native.EpollCreate();
        _listenFd = Sys.Listen(listenAddress, nonBlocking: true);
        if (_epollFd < 0 || _listenFd < 0)
        {
            throw new InvalidOperationException($"epoll_create1/listen failed: {Native.LastError} / {-_listenFd}");
        }

        // The listener stays level-triggered (kubegate's ListenerAcceptor): it accepts a bounded batch per event and
        // the rest come back on the next turn without a read-until-EAGAIN.
        if (Native.EpollAdd(_epollFd, _listenFd, Native.EPOLLIN, ListenerSlot) != 0)
        {
            throw new InvalidOperationException($"epoll_ctl(listener) failed: {Native.LastError}");
        }

        var events = stackalloc byte[MaxEvents * Native.EpollEventSize];
        while (true)
        {
            var count = Native.EpollWait(_epollFd, events, MaxEvents, HasDeferred ? 0 : -1);
            if (count < 0)
            {
                if (Native.LastError != Native.EINTR)
                {
                    throw new InvalidOperationException($"epoll_wait failed: {Native.LastError}");
                }

                continue;
            }

            for (var i = 0; i < count; i++)
            {
                Dispatch(Native.EpollData(events, i), Native.EpollEvents(events, i));
            }

            RunDeferred();
        }
    }

    protected override bool Watch(int clientFd, int upstreamFd, ulong token)
    {
        const uint interest = Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP | Native.EPOLLET;
        return Native.EpollAdd(_epollFd, clientFd, interest, token) == 0 && Native.EpollAdd(_epollFd, upstreamFd, interest, token | 1) == 0;
    }

    /// <summary>Closing removes both descriptors from epoll: no epoll_ctl(DEL).</summary>
    protected override void CloseSockets(int fd0, int fd1)
    {
        _ = Native.Close(fd0);
        _ = Native.Close(fd1);
    }

    private void Dispatch(ulong data, uint events)
    {
        if ((int)((uint)data >> 1) == ListenerSlot)
        {
            AcceptBatch();
            return;
        }

        // Null: a descriptor closed earlier in this batch; its slot may already hold a new connection.
        Find(data)?.OnEvents((int)(data & 1), events);
    }

    private void AcceptBatch()
    {
        for (var i = 0; i < AcceptsPerEvent; i++)
        {
            var clientFd = Sys.Accept(_listenFd);
            if (clientFd < 0)
            {
                if (Native.LastError == Native.EINTR)
                {
                    continue;
                }

                // EAGAIN: backlog empty. Anything else (a connection that died in the backlog, EMFILE) ends the batch.
                return;
            }

            Open(clientFd);
        }
    }
}

/// <summary>
/// One proxied connection of the epoll and poll back ends. Side 0 is the client, side 1 the upstream; direction 0 copies client
/// to upstream, direction 1 upstream to client. Readiness is remembered per side because epoll reports edges only.
/// </summary>
internal sealed unsafe class EpollConnection(ReadinessReactor reactor)
{
    private const int Readable = 1;
    private const int Writable = 2;
    private const int PeerClosed = 4;

    private readonly ReadinessReactor _reactor = reactor;
    private int _slot;
    private int _fd1;
    private bool _connected;
    private int _ready0;
    private int _ready1;
    private Direction _up;
    private Direction _down;

    public int Fd0 { get; private set; } = -1;

    public int Fd1 => _fd1;

    public bool Deferred { get; set; }

    public void Reset(int slot, int clientFd, int upstreamFd, bool connected)
    {
        _slot = slot;
        Fd0 = clientFd;
        _fd1 = upstreamFd;
        _connected = connected;
        _ready0 = _ready1 = 0;
        _up = default;
        _down = default;
        Deferred = false;
    }

    public void OnEvents(int side, uint events)
    {
        if ((events & Native.EPOLLERR) != 0)
        {
            // A reset or a refused connect: nothing more can be relayed in either direction.
            Close();
            return;
        }

        var bits = 0;
        if ((events & (Native.EPOLLIN | Native.EPOLLHUP | Native.EPOLLRDHUP)) != 0)
        {
            bits |= Readable;
        }

        if ((events & Native.EPOLLOUT) != 0)
        {
            bits |= Writable;
        }

        if ((events & (Native.EPOLLHUP | Native.EPOLLRDHUP)) != 0)
        {
            bits |= PeerClosed;
        }

        if (side == 0)
        {
            _ready0 |= bits;
        }
        else
        {
            _ready1 |= bits;

            // The first output edge of the upstream socket is the end of the non-blocking connect; no EPOLLERR with
            // it means it succeeded (kubegate reads no SO_ERROR after a clean connect).
            _connected |= (bits & Writable) != 0;
        }

        if (_connected)
        {
            Pump();
        }
    }

    public void Pump()
    {
        var more = Relay(ref _up, Fd0, _fd1, ref _ready0, ref _ready1);
        if (Fd0 < 0)
        {
            return;
        }

        more |= Relay(ref _down, _fd1, Fd0, ref _ready1, ref _ready0);
        if (more && Fd0 >= 0 && !Deferred)
        {
            Deferred = true;
            _reactor.Defer(this);
        }
    }

    /// <summary>Moves what one direction can move now; true when it stopped for its budget with the source still readable.</summary>
    private bool Relay(ref Direction direction, int sourceFd, int destinationFd, ref int sourceReady, ref int destinationReady)
    {
        var budget = ReadinessReactor.ReadBudget;
        while (Fd0 >= 0 && !direction.Ended)
        {
            if (direction.Pending != null)
            {
                if ((destinationReady & Writable) == 0 || !Flush(ref direction, destinationFd, ref destinationReady))
                {
                    return false;
                }
            }

            if (direction.SourceEnded)
            {
                PassOnEnd(ref direction, destinationFd);
                return false;
            }

            if ((sourceReady & Readable) == 0)
            {
                return false;
            }

            if (budget-- == 0)
            {
                return true;
            }

            CopyRead(ref direction, sourceFd, destinationFd, ref sourceReady, ref destinationReady);
        }

        return false;
    }

    /// <summary>
    /// kubegate's CopyRead: rent a buffer, one recv, send it on at once, give the buffer back. A read that did not fill
    /// the buffer took all the socket had, so the source counts as drained without a recv that would only say EAGAIN,
    /// unless the peer already closed: then the next recv is the one that reads the end of the stream, and no further
    /// edge would come to ask for it.
    /// </summary>
    private void CopyRead(ref Direction direction, int sourceFd, int destinationFd, ref int sourceReady, ref int destinationReady)
    {
        var buffer = _reactor.RentBuffer();
        nint received;
        do
        {
            received = Native.Receive(sourceFd, new Span<byte>(buffer, ReadinessReactor.Capacity));
        }
        while (received < 0 && Native.LastError == Native.EINTR);

        if (received <= 0)
        {
            var errno = received < 0 ? Native.LastError : 0;
            _reactor.ReturnBuffer(buffer);
            if (received == 0)
            {
                direction.SourceEnded = true;
            }
            else if (errno == Native.EAGAIN)
            {
                sourceReady &= ~Readable;
            }
            else
            {
                Close();
            }

            return;
        }

        if (received < ReadinessReactor.Capacity && (sourceReady & PeerClosed) == 0)
        {
            sourceReady &= ~Readable;
        }

        direction.Pending = buffer;
        direction.Offset = 0;
        direction.Count = (int)received;
        if ((destinationReady & Writable) != 0)
        {
            _ = Flush(ref direction, destinationFd, ref destinationReady);
        }
    }

    /// <summary>Sends the pending bytes; true when all went (the buffer is returned), false when the destination is full.</summary>
    private bool Flush(ref Direction direction, int destinationFd, ref int destinationReady)
    {
        while (direction.Count > 0)
        {
            var sent = Native.Send(destinationFd, new ReadOnlySpan<byte>(direction.Pending + direction.Offset, direction.Count));
            if (sent < 0)
            {
                var errno = Native.LastError;
                if (errno == Native.EINTR)
                {
                    continue;
                }

                if (errno == Native.EAGAIN)
                {
                    destinationReady &= ~Writable;
                    return false;
                }

                Close();
                return false;
            }

            direction.Offset += (int)sent;
            direction.Count -= (int)sent;
        }

        _reactor.ReturnBuffer(direction.Pending);
        direction.Pending = null;
        return true;
    }

    /// <summary>
    /// The source ended and all it sent went on: end the destination's output with a FIN, or, when the other
    /// direction already ended, close both (the close sends the FIN, so no shutdown for the direction ending last).
    /// </summary>
    private void PassOnEnd(ref Direction direction, int destinationFd)
    {
        direction.Ended = true;
        if (_up.Ended && _down.Ended)
        {
            Close();
        }
        else
        {
            _ = Native.Shutdown(destinationFd, Native.ShutWr);
        }
    }

    public void Close()
    {
        if (Fd0 < 0)
        {
            return;
        }

        var fd0 = Fd0;
        var fd1 = _fd1;
        Fd0 = _fd1 = -1;
        if (_up.Pending != null)
        {
            _reactor.ReturnBuffer(_up.Pending);
        }

        if (_down.Pending != null)
        {
            _reactor.ReturnBuffer(_down.Pending);
        }

        _up = default;
        _down = default;
        _reactor.Release(_slot, fd0, fd1);
    }

    private struct Direction
    {
        public byte* Pending;
        public int Offset;
        public int Count;
        public bool SourceEnded;
        public bool Ended;
    }
}
