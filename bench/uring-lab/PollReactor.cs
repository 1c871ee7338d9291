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
internal sealed unsafe class PollReactor(int id, byte* listenAddress, byte* upstreamAddress, uint[] flagSets)
    : ReadinessReactor(upstreamAddress)
{
    private const ulong IgnoredUserData = ulong.MaxValue;
    private const uint Interest = Native.EPOLLIN | Native.EPOLLOUT | Native.EPOLLRDHUP;

    private int _listenFd;
    private Ring _ring = null!;

    public void Run(Action<string> report)
    {
        _ring = Ring.Create(4096, 16384, flagSets, new List<string>());
        report($"reactor {id}: io_uring setup flags 0x{_ring.SetupFlags:x} (poll mode)");
        _listenFd = Sys.Listen(listenAddress, nonBlocking: false);
        if (_listenFd < 0)
        {
            throw new InvalidOperationException($"listen failed: errno {-_listenFd}");
        }

        ArmAccept();
        while (true)
        {
            var result = HasDeferred ? _ring.SubmitAndWait(0, getEvents: true) : _ring.SubmitAndWait(1);
            if (result < 0 && result != -Native.EINTR && result != -Sys.EBUSY && result != -Native.EAGAIN)
            {
                throw new InvalidOperationException($"io_uring_enter failed: errno {-result}");
            }

            var head = _ring.CqHead;
            for (var tail = _ring.CqTail; head != tail; head++)
            {
                var cqe = _ring.CqeAt(head);
                Complete(cqe->UserData, cqe->Res, cqe->Flags);
            }

            _ring.Consumed(head);
            RunDeferred();
        }
    }

    protected override bool Watch(int clientFd, int upstreamFd, ulong token)
    {
        ArmPoll(clientFd, token);
        ArmPoll(upstreamFd, token | 1);
        return true;
    }

    /// <summary>
    /// Cancels each socket's poll and then closes it, hard-linked so the close runs whatever the cancel says; both go
    /// to the kernel with this turn's enter. The slot is free at once: its new generation drops the poll's last
    /// (cancelled) completion.
    /// </summary>
    protected override void CloseSockets(int fd0, int fd1)
    {
        CancelAndClose(fd0);
        CancelAndClose(fd1);
    }

    private void Complete(ulong userData, int res, uint flags)
    {
        if (userData == IgnoredUserData)
        {
            return; // a cancel or close finished
        }

        if ((int)((uint)userData >> 1) == ListenerSlot)
        {
            if (res >= 0)
            {
                Open(res);
            }

            if ((flags & Ring.CqeMore) == 0)
            {
                ArmAccept(); // the multishot accept ended (an error such as EMFILE): ask again
            }

            return;
        }

        if (Find(userData) is not { } connection)
        {
            return; // a poll of a connection already closed (its last, cancelled completion)
        }

        if (res < 0)
        {
            connection.Close();
            return;
        }

        var side = (int)(userData & 1);
        if ((flags & Ring.CqeMore) == 0)
        {
            // The kernel ended the multishot poll (CQ overflow): arm it again; edge-triggered, so report what was seen.
            ArmPoll(side == 0 ? connection.Fd0 : connection.Fd1, userData);
        }

        connection.OnEvents(side, (uint)res);
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
        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpPollAdd;
        sqe->Fd = fd;
        sqe->Len = Ring.PollAddMulti;
        sqe->OpFlags = Interest; // poll32_events
        sqe->UserData = token;
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
