using System.Runtime.InteropServices;
using Kubegate.Proxy.Reactors;

namespace UringLab;

/// <summary>
/// What the two readiness-driven back ends share (epoll, and poll: readiness from an io_uring): the connection slots
/// with their generations, the deferred list, the buffer pool and opening a connection. A back end says how sockets
/// are watched (<see cref="Watch"/>) and closed (<see cref="CloseSockets"/>), and runs its own loop.
/// </summary>
internal abstract unsafe class ReadinessReactor(byte* upstreamAddress)
{
    /// <summary>Slot 0 is the listener's: a token with slot 0 is an accept event.</summary>
    protected const int ListenerSlot = 0;

    private const int BufferSize = 64 * 1024;

    // Reads per direction per turn before the connection yields to the others. Edge-triggered readiness will not say
    // again that a socket is still readable, so a connection that used its budget goes on the deferred list.
    private const int ReadsPerTurn = 16;

    private readonly Stack<nint> _buffers = new();
    private readonly List<EpollConnection> _deferred = new(64);
    private readonly List<EpollConnection> _deferredNext = new(64);
    private EpollConnection?[] _slots = new EpollConnection?[1024];
    private uint[] _generations = new uint[1024];
    private int[] _free = new int[1024];
    private int _freeCount;
    private int _slotCount = 1;

    internal static int Capacity => BufferSize;

    internal static int ReadBudget => ReadsPerTurn;

    protected bool HasDeferred => _deferred.Count > 0;

    public void Defer(EpollConnection connection) => _deferred.Add(connection);

    /// <summary>A 64 KiB buffer for one read (kubegate's BufferSize); native memory, so nothing is pinned or collected.</summary>
    public byte* RentBuffer() => _buffers.TryPop(out var buffer) ? (byte*)buffer : (byte*)NativeMemory.Alloc(BufferSize);

    public void ReturnBuffer(byte* buffer) => _buffers.Push((nint)buffer);

    /// <summary>Closes both descriptors and frees the slot; the slot keeps its (reset) connection object for reuse.</summary>
    public void Release(int slot, int fd0, int fd1)
    {
        CloseSockets(fd0, fd1);
        _generations[slot]++; // drops the stale events of the closed descriptors
        _free[_freeCount++] = slot;
    }

    /// <summary>Starts watching both sockets of a new connection; false when that failed (the connection is closed).</summary>
    protected abstract bool Watch(int clientFd, int upstreamFd, ulong token);

    protected abstract void CloseSockets(int fd0, int fd1);

    /// <summary>The connection a readiness token names; null when it closed since (its slot may hold a new one).</summary>
    protected EpollConnection? Find(ulong token)
    {
        var slot = (int)((uint)token >> 1);
        var connection = _slots[slot];
        return connection is null || _generations[slot] != (uint)(token >> 32) ? null : connection;
    }

    /// <summary>Opens the upstream side of an accepted connection (non-blocking connect) and watches both sockets.</summary>
    protected void Open(int clientFd)
    {
        var upstreamFd = Sys.Socket(nonBlocking: true);
        if (upstreamFd < 0)
        {
            _ = Native.Close(clientFd);
            return;
        }

        // kubegate sets TCP_NODELAY on both sockets: a relayed message must not wait for the previous one's ACK.
        Native.SetNoDelay(clientFd);
        Native.SetNoDelay(upstreamFd);
        var errno = Sys.Connect(upstreamFd, upstreamAddress);
        if (errno != 0 && errno != Native.EINPROGRESS)
        {
            _ = Native.Close(clientFd);
            _ = Native.Close(upstreamFd);
            return;
        }

        var slot = AllocateSlot();
        var connection = _slots[slot] ??= new EpollConnection(this);
        connection.Reset(slot, clientFd, upstreamFd, connected: errno == 0);
        if (!Watch(clientFd, upstreamFd, ((ulong)_generations[slot] << 32) | ((uint)slot << 1)))
        {
            connection.Close();
        }
    }

    protected void RunDeferred()
    {
        if (_deferred.Count == 0)
        {
            return;
        }

        // Swap lists so a connection deferring itself again lands in the next turn, not in this loop.
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
}
