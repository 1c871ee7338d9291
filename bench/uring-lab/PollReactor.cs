using Kubegate.Proxy.Reactors;

namespace UringLab;

/// <summary>
/// The hybrid back end: the epoll back end's readiness-driven relay unchanged (plain recv and send), with io_uring
/// in place of epoll for everything around it. Readiness comes from one multishot, edge-triggered IORING_OP_POLL_ADD
/// per socket (queued, so registering costs no system call); new connections from a multishot accept (the descriptor
/// arrives in the completion, no accept4 that ends in EAGAIN); closes go through the ring after cancelling the
/// socket's poll (a poll request holds its own file reference). One io_uring_enter per turn submits what the turn
/// queued and waits, where epoll_wait waited. It asks whether keeping kubegate's relay and changing only the event
/// interface gets the per-connection gain of the full io_uring back end.
/// </summary>
internal sealed unsafe class PollReactor : IRelayHost
{
    private const int ListenerSlot = 0;
    private const ulong IgnoredUserData = ulong.MaxValue;
    private const uint Interest = Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP;

    private readonly byte* _listenAddress;
    private readonly byte* _upstreamAddress;
    private readonly uint[] _flagSets;
    private readonly int _id;
    private readonly Stack<nint> _buffers = new();
    private readonly List<EpollConnection> _deferred = new(64);
    private readonly List<EpollConnection> _deferredNext = new(64);
    private EpollConnection?[] _slots = new EpollConnection?[1024];
    private uint[] _generations = new uint[1024];
    private int[] _free = new int[1024];
    private int _freeCount;
    private int _slotCount = 1;
    private int _listenFd;
    private Ring _ring = null!;

    public PollReactor(int id, byte* listenAddress, byte* upstreamAddress, uint[] flagSets)
    {
        _id = id;
        _listenAddress = listenAddress;
        _upstreamAddress = upstreamAddress;
        _flagSets = flagSets;
    }

    public void Run(Action<string> report)
    {
        var refusals = new List<string>();
        _ring = Ring.Create(4096, 16384, _flagSets, refusals);
        report($"reactor {_id}: io_uring setup flags 0x{_ring.SetupFlags:x} (poll mode)");
        _listenFd = Sys.Listen(_listenAddress, nonBlocking: false);
        if (_listenFd < 0)
        {
            throw new InvalidOperationException($"listen failed: errno {-_listenFd}");
        }

        ArmAccept();
        while (true)
        {
            var result = _deferred.Count > 0 ? _ring.SubmitAndWait(0, getEvents: true) : _ring.SubmitAndWait(1);
            if (result < 0 && result != -Native.EINTR && result != -Sys.EBUSY && result != -Native.EAGAIN)
            {
                throw new InvalidOperationException($"io_uring_enter failed: errno {-result}");
            }

            var head = _ring.CqHead;
            var tail = _ring.CqTail;
            while (head != tail)
            {
                var cqe = _ring.CqeAt(head);
                Complete(cqe->UserData, cqe->Res, cqe->Flags);
                head++;
            }

            _ring.Consumed(head);
            RunDeferred();
        }
    }

    private void Complete(ulong userData, int res, uint flags)
    {
        if (userData == IgnoredUserData)
        {
            return; // a cancel or close finished
        }

        var slot = (int)((uint)userData >> 1);
        if (slot == ListenerSlot)
        {
            if (res >= 0)
            {
                Open(res);
            }

            if ((flags & Ring.CqeMore) == 0)
            {
                ArmAccept();
            }

            return;
        }

        var connection = _slots[slot];
        if (connection is null || _generations[slot] != (uint)(userData >> 32))
        {
            return; // a poll of a connection already closed (its last, cancelled completion)
        }

        if (res < 0)
        {
            connection.Close();
            return;
        }

        if ((flags & Ring.CqeMore) == 0)
        {
            // The kernel ended the multishot poll (CQ overflow): arm it again; edge-triggered, so report what was seen.
            ArmPoll(connection.Fd0 >= 0 ? FdOf(connection, (int)(userData & 1)) : -1, userData);
        }

        connection.OnEvents((int)(userData & 1), (uint)res);
    }

    private int FdOf(EpollConnection connection, int side) => side == 0 ? connection.Fd0 : connection.Fd1;

    private void RunDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }

        _deferredNext.AddRange(_deferred);
        _deferred.Clear();
        foreach (var connection in _deferredNext)
        {
            connection.Deferred = false;
            if (connection.Fd0 >= 0)
            {
                connection.Pump();
            }
        }

        _deferredNext.Clear();
    }

    private void ArmAccept()
    {
        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpAccept;
        sqe->Fd = _listenFd;
        sqe->IoPrio = Ring.AcceptMultishot;
        sqe->OpFlags = Sys.SockNonblock | Sys.SockCloexec; // the relay makes plain non-blocking calls
        sqe->UserData = ListenerSlot;
    }

    private void ArmPoll(int fd, ulong token)
    {
        if (fd < 0)
        {
            return;
        }

        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpPollAdd;
        sqe->Fd = fd;
        sqe->Len = Ring.PollAddMulti;
        sqe->OpFlags = Interest; // poll32_events
        sqe->UserData = token;
    }

    private void Open(int clientFd)
    {
        var upstreamFd = Sys.Socket(nonBlocking: true);
        if (upstreamFd < 0)
        {
            _ = Native.Close(clientFd);
            return;
        }

        Native.SetNoDelay(clientFd);
        Native.SetNoDelay(upstreamFd);
        var errno = Sys.Connect(upstreamFd, _upstreamAddress);
        if (errno != 0 && errno != Native.EINPROGRESS)
        {
            _ = Native.Close(clientFd);
            _ = Native.Close(upstreamFd);
            return;
        }

        var slot = AllocateSlot();
        var connection = _slots[slot] ??= new EpollConnection(this);
        connection.Reset(slot, clientFd, upstreamFd, connected: errno == 0);
        var token = ((ulong)_generations[slot] << 32) | ((uint)slot << 1);
        ArmPoll(clientFd, token);
        ArmPoll(upstreamFd, token | 1);
    }

    private int AllocateSlot()
    {
        if (_freeCount > 0)
        {
            return _free[--_freeCount];
        }

        if (_slotCount == _slots.Length)
        {
            Array.Resize(ref _slots, _slots.Length * 2);
            Array.Resize(ref _generations, _generations.Length * 2);
            Array.Resize(ref _free, _free.Length * 2);
        }

        return _slotCount++;
    }

    public void Defer(EpollConnection connection) => _deferred.Add(connection);

    public byte* RentBuffer() => _buffers.TryPop(out var buffer) ? (byte*)buffer : (byte*)System.Runtime.InteropServices.NativeMemory.Alloc(64 * 1024);

    public void ReturnBuffer(byte* buffer) => _buffers.Push((nint)buffer);

    /// <summary>
    /// Cancels each socket's poll and then closes it, hard-linked so the close runs whatever the cancel says; both go
    /// to the kernel with this turn's enter. The slot is free at once: its new generation drops the poll's last
    /// (cancelled) completion.
    /// </summary>
    public void Release(int slot, int fd0, int fd1)
    {
        CancelAndClose(fd0);
        CancelAndClose(fd1);
        _generations[slot]++;
        _free[_freeCount++] = slot;
    }

    private void CancelAndClose(int fd)
    {
        var cancel = _ring.NextSqe();
        cancel->Opcode = Ring.OpAsyncCancel;
        cancel->Fd = fd;
        cancel->OpFlags = Ring.CancelFd | Ring.CancelAll;
        cancel->Flags = Ring.SqeIoHardlink;
        cancel->UserData = IgnoredUserData;
        var close = _ring.NextSqe();
        close->Opcode = Ring.OpClose;
        close->Fd = fd;
        close->UserData = IgnoredUserData;
    }
}
