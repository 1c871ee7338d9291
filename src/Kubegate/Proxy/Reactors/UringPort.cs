namespace Kubegate.Proxy.Reactors;

/// <summary>
/// Readiness from one io_uring instance, in epoll's place: each registration is a poll request queued in the ring
/// (no system call of its own), and each close a request queued after the poll's cancellation, so a turn's registrations,
/// removals and closes all reach the kernel with the one io_uring_enter that also waits. The relay above keeps its
/// plain recv/send/splice calls: the saving is per connection (bench/results/io_uring.md).
/// </summary>
/// <remarks>
/// <para>An edge-triggered registration is one multishot poll (IORING_POLL_ADD_MULTI, edge-triggered by default):
/// a completion for each readiness edge, as epoll's EPOLLET gives. A level-triggered one (a listening socket) is a
/// one-shot poll armed again after each report while the registration lasts: the kernel reports at once when the
/// socket is still ready, as epoll would. A multishot poll the kernel ended (a full completion queue) is armed again.</para>
/// <para>A poll request holds its own reference to the socket, so a descriptor is closed by the ring after its poll
/// was cancelled (hard-linked: the close runs whatever the cancellation says); a report that arrives for a registration
/// already removed is recognised by its token and dropped.</para>
/// </remarks>
internal sealed unsafe class UringPort : IEventPort
{
    // Sized for the completions of a busy turn: two polls per connection, each reporting a few edges per turn. A full
    // completion queue loses nothing (IORING_FEAT_NODROP keeps the overflow in the kernel), it only ends multishot polls.
    private const uint SubmissionEntries = 512;
    private const uint CompletionEntries = 4096;

    // user_data of the cancellations and closes, whose results nobody waits for. A registration token never has all its
    // bits set: its slot would be 2^31 - 1.
    private const ulong Unwatched = ulong.MaxValue;

    private const byte Unregistered = 0;
    private const byte EdgeTriggered = 1;
    private const byte LevelTriggered = 2;

    private readonly IoUring _ring;

    // Cancellations and closes that succeed post no completion (nobody reads them): fewer entries to walk. The
    // cancelled poll still posts its last one, which is what ends that turn's wait early.
    private readonly byte _skipSuccess;

    // Per registration, indexed by the low 32 bits of its token ((slot << 1) | side): the token itself (whose upper
    // bits are the slot's generation), the descriptor and events to arm the poll again with, and the trigger mode.
    private ulong[] _tokens = new ulong[512];
    private int[] _fds = new int[512];
    private uint[] _events = new uint[512];
    private byte[] _modes = new byte[512];

    private UringPort(IoUring ring)
    {
        _ring = ring;
        _skipSuccess = ring.SkipsSuccess ? IoUring.SqeCqeSkipSuccess : (byte)0;
    }

    public string Name => "io_uring";

    /// <summary>A port on a new ring; null with the kernel's reason when io_uring cannot be used here.</summary>
    public static UringPort? TryCreate(out string? refusal)
    {
        var ring = IoUring.TryCreate(SubmissionEntries, CompletionEntries, out refusal);
        return ring is null ? null : new UringPort(ring);
    }

    public int Start() => _ring.Enable();

    public int Add(int fd, uint events, ulong token)
    {
        var index = Index(token);
        if (index >= _tokens.Length)
        {
            var size = Math.Max(index + 1, _tokens.Length * 2);
            Array.Resize(ref _tokens, size);
            Array.Resize(ref _fds, size);
            Array.Resize(ref _events, size);
            Array.Resize(ref _modes, size);
        }

        _tokens[index] = token;
        _fds[index] = fd;
        _events[index] = events & ~Native.EPOLLET;
        _modes[index] = (events & Native.EPOLLET) != 0 ? EdgeTriggered : LevelTriggered;
        Arm(index);
        return 0;
    }

    public void Remove(int fd, ulong token)
    {
        if (!Forget(token))
        {
            return;
        }

        QueueCancel(token, linked: false);

        // At once, not at the end of the turn, and with the completion work run (it is what drops the poll's reference
        // to the socket): the caller may close the socket next, from another thread, and a listening socket a poll
        // still held would stay in its SO_REUSEPORT group, taking connections nobody accepts.
        _ = _ring.Enter(0, 0);
    }

    public void Close(int fd, ulong token)
    {
        if (!Forget(token))
        {
            // Never watched (or no longer): nothing in the ring holds it.
            _ = Native.Close(fd);
            return;
        }

        QueueCancel(token, linked: true);
        var close = _ring.NextSqe();
        close->Opcode = IoUring.OpClose;
        close->Fd = fd;
        close->Flags = _skipSuccess;
        close->UserData = Unwatched;
    }

    public int Wait(int timeoutMilliseconds)
    {
        var result = _ring.Enter(timeoutMilliseconds == 0 ? 0u : 1u, timeoutMilliseconds);
        return result < 0 && result is not (-Native.EINTR or -IoUring.ETIME or -Native.EAGAIN or -IoUring.EBUSY) ? -result : 0;
    }

    public void Dispatch(IEventSink sink)
    {
        var head = _ring.CqHead;
        var tail = _ring.CqTail;
        for (; head != tail; head++)
        {
            var cqe = _ring.CqeAt(head);
            var token = cqe->UserData;
            var res = cqe->Res;
            var final = (cqe->Flags & IoUring.CqeMore) == 0;
            if (token == Unwatched)
            {
                continue;
            }

            var index = Index(token);
            if (index >= _tokens.Length || _modes[index] == Unregistered || _tokens[index] != token)
            {
                continue; // the last report of a registration removed since, or one of a slot's earlier generation
            }

            // A failed poll (not one cancelled here: those were forgotten above) is told as an error on the socket.
            var events = res >= 0 ? (uint)res : Native.EPOLLERR;
            if (events != 0)
            {
                sink.OnEvent(token, events);
            }

            // Armed again while the registration lasts: a one-shot (level-triggered) poll after every report, a
            // multishot one only when the kernel ended it.
            if ((final || _modes[index] == LevelTriggered) && _modes[index] != Unregistered && _tokens[index] == token)
            {
                Arm(index);
            }
        }

        _ring.Consumed(head);
    }

    public void Flush() => _ = _ring.Enter(0, 0, getEvents: false);

    public void Dispose() => _ring.Dispose();

    private static int Index(ulong token) => (int)((uint)token & 0x7fffffff);

    private bool Forget(ulong token)
    {
        var index = Index(token);
        if (index >= _tokens.Length || _modes[index] == Unregistered || _tokens[index] != token)
        {
            return false;
        }

        _modes[index] = Unregistered;
        return true;
    }

    private void Arm(int index)
    {
        var sqe = _ring.NextSqe();
        sqe->Opcode = IoUring.OpPollAdd;
        sqe->Fd = _fds[index];
        sqe->OpFlags = _events[index]; // poll32_events: the EPOLL* bits are the poll bits
        sqe->Len = _modes[index] == EdgeTriggered ? IoUring.PollAddMulti : 0;
        sqe->UserData = _tokens[index];
    }

    /// <summary>
    /// Cancels the poll of <paramref name="token"/>. IORING_OP_ASYNC_CANCEL, not IORING_OP_POLL_REMOVE: a poll removal
    /// gives up (-EALREADY) when the poll has a report being delivered, which is just the case of a socket registered
    /// and closed in the same turn, and the poll would then hold the socket open; a cancellation marks the poll
    /// cancelled whoever holds it at that moment.
    /// </summary>
    private void QueueCancel(ulong token, bool linked)
    {
        var cancel = _ring.NextSqe();
        cancel->Opcode = IoUring.OpAsyncCancel;
        cancel->Addr = token;
        cancel->Flags = (byte)((linked ? IoUring.SqeIoHardlink : 0) | _skipSuccess);
        cancel->UserData = Unwatched;
    }
}
