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

    private readonly IoUring _ring;

    // Cancellations and closes that succeed post no completion (nobody reads them): fewer entries to walk. The
    // cancelled poll still posts its last one, which is what ends that turn's wait early.
    private readonly byte _skipSuccess;

    // Indexed by the low 32 bits of a registration's token ((slot << 1) | side).
    private Registration[] _registrations = new Registration[512];

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
        if (index >= _registrations.Length)
        {
            Array.Resize(ref _registrations, Math.Max(index + 1, _registrations.Length * 2));
        }

        _registrations[index] = new Registration(token, fd, events & ~Native.EPOLLET, Multishot: (events & Native.EPOLLET) != 0);
        Arm(_registrations[index]);
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
            if (token == Unwatched || !IsLive(token))
            {
                // A cancellation or close that failed, the last report of a registration removed since, or one of a
                // slot's earlier generation.
                continue;
            }

            // A failed poll (not one cancelled here: those were forgotten above) is told as an error on the socket.
            var events = res >= 0 ? (uint)res : Native.EPOLLERR;
            if (events != 0)
            {
                sink.OnEvent(token, events);
            }

            // Armed again while the registration lasts (the handler may have ended it): a one-shot (level-triggered)
            // poll after every report, a multishot one only when the kernel ended it.
            if (final && IsLive(token))
            {
                Arm(_registrations[Index(token)]);
            }
        }

        _ring.Consumed(head);
    }

    public void Flush() => _ = _ring.Enter(0, 0, getEvents: false);

    public void Dispose() => _ring.Dispose();

    private static int Index(ulong token) => (int)((uint)token & 0x7fffffff);

    private bool IsLive(ulong token)
    {
        var index = Index(token);
        return index < _registrations.Length && _registrations[index].Live && _registrations[index].Token == token;
    }

    private bool Forget(ulong token)
    {
        if (!IsLive(token))
        {
            return false;
        }

        _registrations[Index(token)] = default;
        return true;
    }

    private void Arm(in Registration registration)
    {
        var sqe = _ring.NextSqe();
        sqe->Opcode = IoUring.OpPollAdd;
        sqe->Fd = registration.Fd;
        sqe->OpFlags = registration.Events; // poll32_events: the EPOLL* bits are the poll bits
        sqe->Len = registration.Multishot ? IoUring.PollAddMulti : 0;
        sqe->UserData = registration.Token;
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

    /// <summary>
    /// A live registration: its token (whose upper bits are the slot's generation), and the descriptor, events and
    /// trigger mode to arm its poll again with. The default value is "no registration".
    /// </summary>
    private readonly record struct Registration(ulong Token, int Fd, uint Events, bool Multishot)
    {
        public bool Live => Events != 0; // every registration watches something
    }
}
