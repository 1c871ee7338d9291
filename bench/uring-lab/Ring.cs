using System.Runtime.InteropServices;
using Kubegate.Proxy.Reactors;

namespace UringLab;

/// <summary>
/// One io_uring instance driven by raw system calls: io_uring_setup, mmap of the shared rings, io_uring_enter,
/// io_uring_register. No liburing: the lab must show the whole cost of the interface, and a NativeAOT binary should not
/// depend on a library the target hosts may not carry. Layouts mirror include/uapi/linux/io_uring.h; the ABI is
/// append-only, so these offsets hold on every kernel since the ops used here appeared (6.0 for multishot receive).
/// </summary>
/// <remarks>
/// Only the reactor thread that created the ring touches it (the ring is created on that thread, which
/// IORING_SETUP_SINGLE_ISSUER and DEFER_TASKRUN require). The kernel and this thread share the head and tail words;
/// a producer publishes its tail with a release store after writing entries, a consumer reads the other side's tail
/// with an acquire load before reading entries (Volatile.Read/Write give exactly that on x86-64 and arm64).
/// </remarks>
internal sealed unsafe partial class Ring
{
    // io_uring_setup flags (IORING_SETUP_*).
    public const uint SetupCqSize = 1u << 3;
    public const uint SetupSubmitAll = 1u << 7;
    public const uint SetupCoopTaskrun = 1u << 8;
    public const uint SetupSingleIssuer = 1u << 12;
    public const uint SetupDeferTaskrun = 1u << 13;

    // Opcodes (enum io_uring_op): their position in the enum is the ABI.
    public const byte OpPollAdd = 6;
    public const byte OpAccept = 13;
    public const byte OpAsyncCancel = 14;
    public const byte OpConnect = 16;
    public const byte OpClose = 19;
    public const byte OpSend = 26;
    public const byte OpRecv = 27;
    public const byte OpShutdown = 34;

    // sqe->flags (IOSQE_*).
    public const byte SqeIoHardlink = 1 << 3;
    public const byte SqeBufferSelect = 1 << 5;

    // sqe->ioprio doubles as the per-op flag word for accept and recv/send.
    public const ushort AcceptMultishot = 1 << 0;
    public const ushort RecvMultishot = 1 << 1;

    // sqe->len of IORING_OP_POLL_ADD: stay armed after each completion (edge-triggered unless IORING_POLL_ADD_LEVEL).
    public const uint PollAddMulti = 1u << 0;

    // sqe->cancel_flags.
    public const uint CancelAll = 1u << 0;
    public const uint CancelFd = 1u << 1;

    // cqe->flags (IORING_CQE_F_*): the buffer id of a provided buffer sits in the upper 16 bits.
    public const uint CqeBuffer = 1u << 0;
    public const uint CqeMore = 1u << 1;
    public const int CqeBufferShift = 16;

    private const uint EnterGetEvents = 1u << 0;
    private const uint EnterRegisteredRing = 1u << 4;
    private const uint FeatSingleMmap = 1u << 0;
    private const uint FeatNoDrop = 1u << 1;
    private const uint RegisterRingFds = 20;
    private const uint RegisterPbufRing = 22;
    private const long OffSqRing = 0;
    private const long OffSqes = 0x10000000;

    // System call numbers: io_uring came after the unified syscall table, so 425-427 on every architecture.
    private const long SysIoUringSetup = 425;
    private const long SysIoUringEnter = 426;
    private const long SysIoUringRegister = 427;

    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapShared = 0x01;
    private const int MapPrivate = 0x02;
    private const int MapAnonymous = 0x20;
    private const int MapPopulate = 0x8000;

    private readonly int _ringFd;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly Sqe* _sqes;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly Cqe* _cqes;

    // The descriptor io_uring_enter is called with: the registered-ring index when registration worked (the kernel
    // then skips the file-table lookup on every enter), else the ring's own descriptor.
    private readonly int _enterFd;
    private readonly uint _enterFlags;
    private uint _sqTailLocal;

    private Ring(int ringFd, in Params p, byte* sqRing, byte* cqRing, Sqe* sqes, uint setupFlags)
    {
        _ringFd = ringFd;
        SetupFlags = setupFlags;
        Features = p.Features;
        _sqHead = (uint*)(sqRing + p.SqOff.Head);
        _sqTail = (uint*)(sqRing + p.SqOff.Tail);
        _sqMask = *(uint*)(sqRing + p.SqOff.RingMask);
        _sqEntries = *(uint*)(sqRing + p.SqOff.RingEntries);
        _sqes = sqes;
        _cqHead = (uint*)(cqRing + p.CqOff.Head);
        _cqTail = (uint*)(cqRing + p.CqOff.Tail);
        _cqMask = *(uint*)(cqRing + p.CqOff.RingMask);
        _cqes = (Cqe*)(cqRing + p.CqOff.Cqes);
        _sqTailLocal = *_sqTail;

        // The SQ index array is an indirection this lab does not need: slot i always names SQE i.
        var array = (uint*)(sqRing + p.SqOff.Array);
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }

        var update = default(RsrcUpdate);
        update.Offset = uint.MaxValue; // "pick a free registered-ring slot"
        update.Data = (ulong)ringFd;
        if (Register(RegisterRingFds, &update, 1) == 1)
        {
            _enterFd = (int)update.Offset;
            _enterFlags = EnterRegisteredRing;
        }
        else
        {
            _enterFd = ringFd;
        }
    }

    public uint SetupFlags { get; }

    public uint Features { get; }

    public bool RegisteredRingFd => _enterFlags != 0;

    /// <summary>
    /// Creates a ring, trying the flag sets in order and keeping the first the kernel accepts. The errno of each refused
    /// set goes to <paramref name="refusals"/> (startup only, so the string building does not matter).
    /// </summary>
    public static Ring Create(uint sqEntries, uint cqEntries, uint[] flagSets, List<string> refusals)
    {
        foreach (var flags in flagSets)
        {
            var p = default(Params);
            p.Flags = flags | SetupCqSize;
            p.CqEntries = cqEntries;
            var fd = (int)syscall(SysIoUringSetup, sqEntries, (long)&p, 0, 0, 0, 0);
            if (fd < 0)
            {
                refusals.Add($"io_uring_setup(flags=0x{flags:x}) failed: errno {Native.LastError}");
                continue;
            }

            if ((p.Features & FeatSingleMmap) == 0 || (p.Features & FeatNoDrop) == 0)
            {
                // Both exist since 5.4/5.5; without them the mapping and overflow handling below would be wrong.
                _ = Native.Close(fd);
                throw new InvalidOperationException($"io_uring features 0x{p.Features:x} lack SINGLE_MMAP or NODROP");
            }

            // With IORING_FEAT_SINGLE_MMAP the SQ and CQ rings share one mapping at IORING_OFF_SQ_RING, as long as
            // the larger of the two; the SQE array is a second mapping.
            var sqSize = p.SqOff.Array + (p.SqEntries * sizeof(uint));
            var cqSize = p.CqOff.Cqes + (p.CqEntries * (uint)sizeof(Cqe));
            var ringSize = Math.Max(sqSize, cqSize);
            var rings = (byte*)mmap(null, ringSize, ProtRead | ProtWrite, MapShared | MapPopulate, fd, OffSqRing);
            var sqes = (Sqe*)mmap(null, p.SqEntries * (uint)sizeof(Sqe), ProtRead | ProtWrite, MapShared | MapPopulate, fd, OffSqes);
            if (rings == (byte*)-1 || sqes == (Sqe*)-1)
            {
                var errno = Native.LastError;
                _ = Native.Close(fd);
                throw new InvalidOperationException($"mmap of the io_uring rings failed: errno {errno}");
            }

            return new Ring(fd, p, rings, rings, sqes, flags);
        }

        throw new InvalidOperationException(string.Join("; ", refusals));
    }

    /// <summary>
    /// Registers a provided-buffer ring (IORING_REGISTER_PBUF_RING) of <paramref name="entries"/> slots for buffer
    /// group <paramref name="group"/>; returns the page-aligned ring memory, whose tail this thread then advances.
    /// </summary>
    public byte* RegisterBufferRing(uint entries, ushort group)
    {
        var size = entries * (uint)sizeof(BufferDescriptor);
        var ring = (byte*)mmap(null, size, ProtRead | ProtWrite, MapPrivate | MapAnonymous, -1, 0);
        if (ring == (byte*)-1)
        {
            throw new InvalidOperationException($"mmap of the buffer ring failed: errno {Native.LastError}");
        }

        var reg = default(BufferRingRegistration);
        reg.RingAddress = (ulong)ring;
        reg.RingEntries = entries;
        reg.Group = group;
        var result = Register(RegisterPbufRing, &reg, 1);
        if (result < 0)
        {
            throw new InvalidOperationException($"io_uring_register(IORING_REGISTER_PBUF_RING) failed: errno {Native.LastError}");
        }

        return ring;
    }

    /// <summary>
    /// The next free submission entry, zeroed. When the submission ring is full the entries so far go to the kernel
    /// first (a submit-only enter, no wait): rare, the ring has room for many loop turns of work.
    /// </summary>
    public Sqe* NextSqe()
    {
        if (_sqTailLocal - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            _ = SubmitAndWait(0);
        }

        var sqe = _sqes + (_sqTailLocal & _sqMask);
        *sqe = default;
        _sqTailLocal++;
        return sqe;
    }

    /// <summary>
    /// Publishes every entry filled since the last call and, with <paramref name="waitFor"/> &gt; 0, waits in the same
    /// system call for that many completions: the one io_uring_enter of a loop turn. Returns the raw result (-errno).
    /// </summary>
    public int SubmitAndWait(uint waitFor, bool getEvents = false)
    {
        var toSubmit = _sqTailLocal - Volatile.Read(ref *_sqHead);
        Volatile.Write(ref *_sqTail, _sqTailLocal);
        // GETEVENTS with waitFor 0: with DEFER_TASKRUN, completion work only runs inside an enter that asks for events.
        var flags = _enterFlags | (waitFor > 0 || getEvents ? EnterGetEvents : 0);
        var result = syscall(SysIoUringEnter, _enterFd, toSubmit, waitFor, flags, 0, 0);
        return result < 0 ? -Native.LastError : (int)result;
    }

    /// <summary>The completion queue as it is now: (head, tail). The caller walks it with <see cref="CqeAt"/> and then calls <see cref="Consumed"/>.</summary>
    public uint CqHead => *_cqHead;

    public uint CqTail => Volatile.Read(ref *_cqTail);

    public Cqe* CqeAt(uint index) => _cqes + (index & _cqMask);

    /// <summary>Hands the completion entries before <paramref name="head"/> back to the kernel.</summary>
    public void Consumed(uint head) => Volatile.Write(ref *_cqHead, head);

    private int Register(uint opcode, void* arg, uint count)
    {
        var result = syscall(SysIoUringRegister, _ringFd, opcode, (long)arg, count, 0, 0);
        return result < 0 ? -Native.LastError : (int)result;
    }

    // glibc's syscall(2) is an assembly shim that moves its integer arguments into the system-call registers and
    // returns -1 with errno set on failure. Declared here with six fixed long arguments: it never calls va_arg, so
    // the variadic convention (AL = vector register count on x86-64) plays no part, and all arguments are integers.
    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int prot, int flags, int fd, long offset);

    /// <summary>struct io_sqring_offsets: byte offsets of the SQ ring's fields inside the SQ mapping.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SqOffsets
    {
        public uint Head;
        public uint Tail;
        public uint RingMask;
        public uint RingEntries;
        public uint Flags;
        public uint Dropped;
        public uint Array;
        public uint Resv1;
        public ulong UserAddr; // resv2 in older headers; only used with IORING_SETUP_NO_MMAP
    }

    /// <summary>struct io_cqring_offsets: byte offsets of the CQ ring's fields inside the (shared) mapping.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CqOffsets
    {
        public uint Head;
        public uint Tail;
        public uint RingMask;
        public uint RingEntries;
        public uint Overflow;
        public uint Cqes;
        public uint Flags;
        public uint Resv1;
        public ulong UserAddr;
    }

    /// <summary>struct io_uring_params (120 bytes): in, the wanted sizes and flags; out, the features and ring offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Params
    {
        public uint SqEntries;
        public uint CqEntries;
        public uint Flags;
        public uint SqThreadCpu;
        public uint SqThreadIdle;
        public uint Features;
        public uint WqFd;
        public fixed uint Resv[3];
        public SqOffsets SqOff;
        public CqOffsets CqOff;
    }

    /// <summary>
    /// struct io_uring_sqe (64 bytes). The kernel header is a stack of unions; only the members this lab writes are
    /// named, each at the offset of the union member it stands for.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct Sqe
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;        // IOSQE_*
        [FieldOffset(2)] public ushort IoPrio;     // ioprio: the multishot flags of accept and recv live here
        [FieldOffset(4)] public int Fd;
        [FieldOffset(8)] public ulong Off;         // off / addr2: connect's address length (a value, not a pointer)
        [FieldOffset(16)] public ulong Addr;       // addr: buffer or sockaddr pointer
        [FieldOffset(24)] public uint Len;         // len: byte count; shutdown's "how"
        [FieldOffset(28)] public uint OpFlags;     // msg_flags / accept_flags / cancel_flags
        [FieldOffset(32)] public ulong UserData;   // comes back unchanged in the completion
        [FieldOffset(40)] public ushort BufGroup;  // buf_index / buf_group: the provided-buffer group to pick from
        [FieldOffset(42)] public ushort Personality;
        [FieldOffset(44)] public int FileIndex;    // splice_fd_in / file_index
        [FieldOffset(48)] public ulong Addr3;
        [FieldOffset(56)] public ulong Pad2;
    }

    /// <summary>struct io_uring_cqe (16 bytes without IORING_SETUP_CQE32).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Cqe
    {
        public ulong UserData;
        public int Res;     // the result, or -errno
        public uint Flags;  // IORING_CQE_F_*; buffer id in the upper 16 bits
    }

    /// <summary>
    /// struct io_uring_buf (16 bytes), one slot of a provided-buffer ring. The ring's 16-bit tail overlays the resv
    /// field of slot 0 (struct io_uring_buf_ring), at byte 14.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct BufferDescriptor
    {
        public ulong Addr;
        public uint Len;
        public ushort Bid;
        public ushort Resv;
    }

    /// <summary>struct io_uring_buf_reg: the argument of IORING_REGISTER_PBUF_RING.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct BufferRingRegistration
    {
        public ulong RingAddress;
        public uint RingEntries;
        public ushort Group;
        public ushort Flags;
        public fixed ulong Resv[3];
    }

    /// <summary>struct io_uring_rsrc_update: the argument of IORING_REGISTER_RING_FDS.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RsrcUpdate
    {
        public uint Offset;
        public uint Resv;
        public ulong Data;
    }
}
