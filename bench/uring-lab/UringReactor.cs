using System.Runtime.InteropServices;
using Kubegate.Proxy.Reactors;

namespace UringLab;

/// <summary>
/// The io_uring back end, in the epoll back end's shape: one thread, one ring, one SO_REUSEPORT listening socket, both
/// sockets of a connection on the thread that accepted it. What changes is the interface: instead of "tell me when
/// it is ready, then I call", every operation is a request the kernel completes.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>One multishot accept per reactor: one request, a completion per new connection.</item>
/// <item>The upstream connect is an IORING_OP_CONNECT; socket(2) and the two TCP_NODELAY setsockopt calls stay
/// plain system calls in both back ends, so the per-connection difference is only the event interface.</item>
/// <item>One multishot receive per socket, with buffers picked by the kernel from this reactor's provided-buffer ring:
/// a connection holds no buffer until bytes arrive, and gives the buffer back when its send completed.</item>
/// <item>Sends are IORING_OP_SEND with MSG_WAITALL (the kernel retries a short send itself); at most one send per
/// direction is in flight, the rest of that direction's received buffers wait in a queue linked through the buffer
/// ids, so bytes stay in order.</item>
/// <item>Shutdown and close go through the ring as well; an aborted connection first cancels its requests by
/// descriptor (a request holds its own file reference, so closing the descriptor would not end a multishot receive).</item>
/// <item>One io_uring_enter per loop turn submits everything the turn queued and waits for at least one completion.</item>
/// </list>
/// </remarks>
internal sealed unsafe class UringReactor
{
    private const ushort BufferGroup = 0;

    // user_data of a request: (slot << 8) | (kind << 1) | direction. The slot cannot be reused while any request of
    // its connection is in flight (the in-flight count), so no generation is needed to recognise stale completions.
    private const int KindAccept = 1;
    private const int KindConnect = 2;
    private const int KindRecv = 3;
    private const int KindSend = 4;
    private const int KindShutdown = 5;
    private const int KindClose = 6;
    private const int KindCancel = 7;
    private const int ListenerSlot = 0;

    private readonly int _id;
    private readonly byte* _listenAddress;
    private readonly byte* _upstreamAddress;
    private readonly uint[] _flagSets;
    private readonly bool _ringShutdown;
    private readonly uint _bufferCount;
    private readonly int _bufferSize;
    private readonly List<long> _rearm = new(64);
    private UringConnection?[] _slots = new UringConnection?[1024];
    private int[] _free = new int[1024];
    private int _freeCount;
    private int _slotCount = 1;
    private uint _serial;
    private int _listenFd;
    private Ring _ring = null!;

    // The provided-buffer ring: _bufferBase holds _bufferCount buffers of _bufferSize bytes, buffer id i at i * size.
    // _bufferRing is the kernel-shared ring of descriptors; _bufferTail is this thread's producer index into it.
    private byte* _bufferBase;
    private Ring.BufferDescriptor* _bufferRing;
    private uint _bufferMask;
    private ushort _bufferTail;
    private int _buffersOut;

    // Per buffer id while a buffer is owned by a connection: its byte count, how much of it was sent, and the next
    // buffer id in the same direction's send queue (-1 at the end). Arrays, so queueing allocates nothing.
    private int[] _length = [];
    private int[] _sent = [];
    private int[] _next = [];

    public UringReactor(int id, byte* listenAddress, byte* upstreamAddress, uint[] flagSets, uint bufferCount, int bufferSize, bool ringShutdown)
    {
        _ringShutdown = ringShutdown;
        _id = id;
        _listenAddress = listenAddress;
        _upstreamAddress = upstreamAddress;
        _flagSets = flagSets;
        _bufferCount = bufferCount;
        _bufferSize = bufferSize;
    }

    public void Run(Action<string> report)
    {
        var refusals = new List<string>();

        // Created on the reactor thread itself: with SINGLE_ISSUER the creating task is the only one allowed to
        // submit, and with DEFER_TASKRUN completions are only processed when that task enters the kernel to wait.
        _ring = Ring.Create(4096, 16384, _flagSets, refusals);
        report($"reactor {_id}: io_uring setup flags 0x{_ring.SetupFlags:x}, features 0x{_ring.Features:x}, " +
               $"registered ring fd {_ring.RegisteredRingFd}" + (refusals.Count > 0 ? "; refused first: " + string.Join("; ", refusals) : ""));

        _bufferBase = (byte*)NativeMemory.AlignedAlloc((nuint)_bufferCount * (nuint)_bufferSize, 4096);
        _bufferRing = (Ring.BufferDescriptor*)_ring.RegisterBufferRing(_bufferCount, BufferGroup);
        _bufferMask = _bufferCount - 1;
        _length = new int[_bufferCount];
        _sent = new int[_bufferCount];
        _next = new int[_bufferCount];
        for (var bid = 0; bid < _bufferCount; bid++)
        {
            ProvideBuffer(bid);
        }

        _listenFd = Sys.Listen(_listenAddress, nonBlocking: false);
        if (_listenFd < 0)
        {
            throw new InvalidOperationException($"listen failed: errno {-_listenFd}");
        }

        ArmAccept();
        while (true)
        {
            // The buffers given back during the last turn become visible to the kernel before it may need them.
            Volatile.Write(ref *(ushort*)((byte*)_bufferRing + 14), _bufferTail);
            var result = _ring.SubmitAndWait(1);
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
                if (head == tail)
                {
                    // Completions posted while this batch was handled are taken in the same turn.
                    _ring.Consumed(head);
                    tail = _ring.CqTail;
                }
            }

            _ring.Consumed(head);
            RearmWaitingReceives();
        }
    }

    private void Complete(ulong userData, int res, uint flags)
    {
        var slot = (int)(userData >> 8);
        var kind = (int)(userData >> 1) & 0x7f;
        var direction = (int)(userData & 1);
        if (kind == KindAccept)
        {
            OnAccept(res, flags);
            return;
        }

        var connection = _slots[slot]!;
        switch (kind)
        {
            case KindConnect:
                connection.InFlight--;
                if (res < 0)
                {
                    Abort(connection);
                }
                else if (!connection.Closing)
                {
                    ArmReceive(connection, 0);
                    ArmReceive(connection, 1);
                }

                break;
            case KindRecv:
                OnReceive(connection, direction, res, flags);
                break;
            case KindSend:
                OnSend(connection, direction, res);
                break;
            default:
                // Shutdown, close and cancel only matter for the in-flight count.
                connection.InFlight--;
                break;
        }

        if (connection.Closing && connection.InFlight == 0)
        {
            Release(connection);
        }
    }

    private void OnAccept(int res, uint flags)
    {
        if (res >= 0)
        {
            Open(res);
        }

        if ((flags & Ring.CqeMore) == 0)
        {
            // The multishot accept ended (an error such as EMFILE, or the kernel dropped it): ask again.
            ArmAccept();
        }
    }

    private void Open(int clientFd)
    {
        // Blocking sockets on purpose: io_uring tries each operation without waiting and arms its own poll when the
        // socket is not ready; a non-blocking descriptor would only add a way to get EAGAIN back instead.
        var upstreamFd = Sys.Socket(nonBlocking: false);
        if (upstreamFd < 0)
        {
            _ = Native.Close(clientFd);
            return;
        }

        Native.SetNoDelay(clientFd);
        Native.SetNoDelay(upstreamFd);
        var slot = AllocateSlot();
        var connection = _slots[slot] ??= new UringConnection();
        connection.Reset(slot, ++_serial, clientFd, upstreamFd);
        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpConnect;
        sqe->Fd = upstreamFd;
        sqe->Addr = (ulong)_upstreamAddress;
        sqe->Off = 16; // sizeof(struct sockaddr_in), passed by value in addr2
        sqe->UserData = UserData(slot, KindConnect, 0);
        connection.InFlight++;
    }

    private void ArmAccept()
    {
        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpAccept;
        sqe->Fd = _listenFd;
        sqe->IoPrio = Ring.AcceptMultishot;
        sqe->OpFlags = Sys.SockCloexec;
        sqe->UserData = UserData(ListenerSlot, KindAccept, 0);
    }

    /// <summary>One multishot receive on the direction's source, buffers picked from the reactor's ring at completion time.</summary>
    private void ArmReceive(UringConnection connection, int direction)
    {
        ref var d = ref connection.Direction(direction);
        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpRecv;
        sqe->Fd = connection.Fd(direction);
        sqe->IoPrio = Ring.RecvMultishot;
        sqe->Flags = Ring.SqeBufferSelect;
        sqe->BufGroup = BufferGroup;
        sqe->UserData = UserData(connection.Slot, KindRecv, direction);
        d.ReceiveArmed = true;
        connection.InFlight++;
    }

    private void OnReceive(UringConnection connection, int direction, int res, uint flags)
    {
        ref var d = ref connection.Direction(direction);
        if ((flags & Ring.CqeMore) == 0)
        {
            // Without F_MORE this is the last completion of the multishot request.
            d.ReceiveArmed = false;
            connection.InFlight--;
        }

        var bid = -1;
        if ((flags & Ring.CqeBuffer) != 0)
        {
            bid = (int)(flags >> Ring.CqeBufferShift);
            _buffersOut++;
        }

        if (connection.Closing)
        {
            if (bid >= 0)
            {
                RecycleBuffer(bid);
            }

            return;
        }

        if (res > 0)
        {
            _length[bid] = res;
            _sent[bid] = 0;
            _next[bid] = -1;
            if (d.QueueTail < 0)
            {
                d.QueueHead = bid;
            }
            else
            {
                _next[d.QueueTail] = bid;
            }

            d.QueueTail = bid;
            if (!d.SendBusy)
            {
                StartSend(connection, direction);
            }

            if (!d.ReceiveArmed)
            {
                // Ended with data (the CQ ring was full, or the kernel capped the retries): ask again at turn end.
                _rearm.Add(RearmKey(connection, direction));
            }

            return;
        }

        if (bid >= 0)
        {
            RecycleBuffer(bid);
        }

        if (res == 0)
        {
            d.SourceEnded = true;
            if (!d.SendBusy)
            {
                EndDirection(connection, direction);
            }
        }
        else if (res == -Native.ENOBUFS)
        {
            // The reactor's buffer ring ran dry: the receive ended, and is asked again once buffers came back.
            _rearm.Add(RearmKey(connection, direction));
        }
        else
        {
            Abort(connection);
        }
    }

    private void StartSend(UringConnection connection, int direction)
    {
        ref var d = ref connection.Direction(direction);
        var bid = d.QueueHead;
        var sqe = _ring.NextSqe();
        sqe->Opcode = Ring.OpSend;
        sqe->Fd = connection.Fd(1 - direction);
        sqe->Addr = (ulong)(_bufferBase + ((long)bid * _bufferSize) + _sent[bid]);
        sqe->Len = (uint)(_length[bid] - _sent[bid]);
        sqe->OpFlags = Sys.MsgNoSignal | Sys.MsgWaitAll;
        sqe->UserData = UserData(connection.Slot, KindSend, direction);
        d.SendBusy = true;
        connection.InFlight++;
    }

    private void OnSend(UringConnection connection, int direction, int res)
    {
        ref var d = ref connection.Direction(direction);
        d.SendBusy = false;
        connection.InFlight--;
        if (connection.Closing)
        {
            return;
        }

        if (res < 0)
        {
            Abort(connection);
            return;
        }

        var bid = d.QueueHead;
        _sent[bid] += res;
        if (_sent[bid] < _length[bid])
        {
            StartSend(connection, direction);
            return;
        }

        d.QueueHead = _next[bid];
        if (d.QueueHead < 0)
        {
            d.QueueTail = -1;
        }

        RecycleBuffer(bid);
        if (d.QueueHead >= 0)
        {
            StartSend(connection, direction);
        }
        else if (d.SourceEnded)
        {
            EndDirection(connection, direction);
        }
    }

    /// <summary>
    /// The source ended and everything it sent went on: a FIN to the destination, or, when the other direction ended
    /// already, close both (the close sends the FIN; kubegate makes no shutdown for the direction ending last).
    /// </summary>
    private void EndDirection(UringConnection connection, int direction)
    {
        ref var d = ref connection.Direction(direction);
        d.Ended = true;
        if (connection.Direction(1 - direction).Ended)
        {
            Close(connection, cancelFirst: connection.Direction(0).ReceiveArmed || connection.Direction(1).ReceiveArmed);
            return;
        }

        if (_ringShutdown)
        {
            var sqe = _ring.NextSqe();
            sqe->Opcode = Ring.OpShutdown;
            sqe->Fd = connection.Fd(1 - direction);
            sqe->Len = Native.ShutWr;
            sqe->UserData = UserData(connection.Slot, KindShutdown, direction);
            connection.InFlight++;
        }
        else
        {
            // A plain system call on purpose: the kernel marks IORING_OP_SHUTDOWN "always async" (its prep sets
            // REQ_F_FORCE_ASYNC), so through the ring every half-close is handed to an io-wq worker thread, a thread
            // hop and a wake-up that cost far more than the one system call saved.
            _ = Native.Shutdown(connection.Fd(1 - direction), Native.ShutWr);
        }
    }

    private void Abort(UringConnection connection) => Close(connection, cancelFirst: true);

    /// <summary>
    /// Closes both descriptors through the ring. An abort first cancels every request on each descriptor; the close is
    /// hard-linked after the cancel so it runs even when the cancel found nothing (-ENOENT would break a soft link).
    /// The connection is released when the last of its requests completed, not before: a completion must never find
    /// its slot reused.
    /// </summary>
    private void Close(UringConnection connection, bool cancelFirst)
    {
        if (connection.Closing)
        {
            return;
        }

        connection.Closing = true;
        for (var side = 0; side < 2; side++)
        {
            var fd = connection.Fd(side);
            Ring.Sqe* sqe;
            if (cancelFirst)
            {
                sqe = _ring.NextSqe();
                sqe->Opcode = Ring.OpAsyncCancel;
                sqe->Fd = fd;
                sqe->OpFlags = Ring.CancelFd | Ring.CancelAll;
                sqe->Flags = Ring.SqeIoHardlink;
                sqe->UserData = UserData(connection.Slot, KindCancel, side);
                connection.InFlight++;
            }

            sqe = _ring.NextSqe();
            sqe->Opcode = Ring.OpClose;
            sqe->Fd = fd;
            sqe->UserData = UserData(connection.Slot, KindClose, side);
            connection.InFlight++;
        }
    }

    private void Release(UringConnection connection)
    {
        for (var direction = 0; direction < 2; direction++)
        {
            ref var d = ref connection.Direction(direction);
            for (var bid = d.QueueHead; bid >= 0;)
            {
                var next = _next[bid];
                RecycleBuffer(bid);
                bid = next;
            }

            d = default;
        }

        connection.Slot = -1;
        _free[_freeCount++] = connection.SlotIndex;
    }

    private void RearmWaitingReceives()
    {
        if (_rearm.Count == 0 || _buffersOut >= _bufferCount)
        {
            return;
        }

        foreach (var key in _rearm)
        {
            var slot = (int)(key >> 32);
            var connection = _slots[slot];
            if (connection is null || connection.Serial != ((uint)key & 0x7fffffff) || connection.Closing)
            {
                continue;
            }

            var direction = (int)(key >> 31) & 1;
            ref var d = ref connection.Direction(direction);
            if (!d.ReceiveArmed && !d.SourceEnded)
            {
                ArmReceive(connection, direction);
            }
        }

        _rearm.Clear();
    }

    /// <summary>Puts buffer <paramref name="bid"/> back in the ring; the kernel sees it when the tail is published.</summary>
    private void RecycleBuffer(int bid)
    {
        _buffersOut--;
        ProvideBuffer(bid);
    }

    private void ProvideBuffer(int bid)
    {
        var slot = _bufferRing + (_bufferTail & _bufferMask);
        slot->Addr = (ulong)(_bufferBase + ((long)bid * _bufferSize));
        slot->Len = (uint)_bufferSize;
        slot->Bid = (ushort)bid;
        _bufferTail++;
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
            Array.Resize(ref _free, _free.Length * 2);
        }

        return _slotCount++;
    }

    private static ulong UserData(int slot, int kind, int direction) => ((ulong)slot << 8) | ((ulong)kind << 1) | (uint)direction;

    private static long RearmKey(UringConnection connection, int direction) =>
        ((long)connection.SlotIndex << 32) | ((long)direction << 31) | (connection.Serial & 0x7fffffff);
}

/// <summary>One proxied connection of the io_uring back end; side 0 is the client, side 1 the upstream.</summary>
internal sealed class UringConnection
{
    private readonly DirectionState[] _directions = new DirectionState[2];
    private int _fd0;
    private int _fd1;

    /// <summary>The slot while the connection is alive, -1 once released.</summary>
    public int Slot { get; set; } = -1;

    public int SlotIndex { get; private set; }

    /// <summary>Tells a reused slot's new connection from the old one in the deferred re-arm list.</summary>
    public uint Serial { get; private set; }

    public int InFlight { get; set; }

    public bool Closing { get; set; }

    public void Reset(int slot, uint serial, int clientFd, int upstreamFd)
    {
        Slot = SlotIndex = slot;
        Serial = serial & 0x7fffffff;
        _fd0 = clientFd;
        _fd1 = upstreamFd;
        InFlight = 0;
        Closing = false;
        _directions[0] = DirectionState.Empty;
        _directions[1] = DirectionState.Empty;
    }

    /// <summary>Direction 0 copies client to upstream, direction 1 upstream to client; the source of direction d is side d.</summary>
    public int Fd(int side) => side == 0 ? _fd0 : _fd1;

    public ref DirectionState Direction(int direction) => ref _directions[direction];
}

internal struct DirectionState
{
    public static readonly DirectionState Empty = new() { QueueHead = -1, QueueTail = -1 };

    public bool ReceiveArmed;
    public bool SendBusy;
    public bool SourceEnded;
    public bool Ended;
    public int QueueHead;
    public int QueueTail;
}
