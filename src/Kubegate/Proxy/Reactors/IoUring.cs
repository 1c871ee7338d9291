using System.Runtime.InteropServices;

namespace Kubegate.Proxy.Reactors;

/// <summary>
/// One io_uring instance driven by raw system calls: io_uring_setup, mmap of the shared rings, io_uring_enter and
/// io_uring_register. Written by hand because .NET has no io_uring binding and liburing is a C library the target
/// hosts may not carry (a NativeAOT binary should need nothing but libc); only what <see cref="UringPort"/> uses is
/// here. Layouts mirror include/uapi/linux/io_uring.h, whose ABI is append-only.
/// </summary>
/// <remarks>
/// Only the reactor thread touches the ring after <see cref="Enable"/>. The kernel and that thread share the head and
/// tail words: a producer publishes its tail with a release store after writing entries, a consumer reads the other
/// side's tail with an acquire load before reading entries (Volatile.Read/Write give exactly that).
/// </remarks>
internal sealed unsafe partial class IoUring : IDisposable
{
    // Opcodes (enum io_uring_op): their position in the enum is the ABI.
    public const byte OpPollAdd = 6;
    public const byte OpAsyncCancel = 14;
    public const byte OpClose = 19;

    // sqe->flags (IOSQE_*): the next entry runs after this one whatever its result; no completion entry on success.
    public const byte SqeIoHardlink = 1 << 3;
    public const byte SqeCqeSkipSuccess = 1 << 6;

    // sqe->len of IORING_OP_POLL_ADD: stay armed after each completion. Edge-triggered unless IORING_POLL_ADD_LEVEL.
    public const uint PollAddMulti = 1u << 0;

    // cqe->flags: the request stays armed and will complete again.
    public const uint CqeMore = 1u << 1;

    public const int ETIME = 62;
    public const int ECANCELED = 125;
    public const int EBUSY = 16;

    private const uint SetupCqSize = 1u << 3;
    private const uint SetupRDisabled = 1u << 6;
    private const uint SetupSubmitAll = 1u << 7;
    private const uint SetupCoopTaskrun = 1u << 8;
    private const uint SetupSingleIssuer = 1u << 12;
    private const uint SetupDeferTaskrun = 1u << 13;

    private const uint FeatSingleMmap = 1u << 0;
    private const uint FeatNoDrop = 1u << 1;
    private const uint FeatExtArg = 1u << 8;
    private const uint FeatRsrcTags = 1u << 10;
    private const uint FeatCqeSkip = 1u << 11;

    private const uint EnterGetEvents = 1u << 0;
    private const uint EnterExtArg = 1u << 3;
    private const uint EnterRegisteredRing = 1u << 4;
    private const uint RegisterEnableRings = 12;
    private const uint RegisterRingFds = 20;
    private const long OffSqRing = 0;
    private const long OffSqes = 0x10000000;

    // io_uring came after the unified system-call table: 425-427 on every architecture.
    private const long SysIoUringSetup = 425;
    private const long SysIoUringEnter = 426;
    private const long SysIoUringRegister = 427;

    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapShared = 0x01;
    private const int MapPopulate = 0x8000;

    /// <summary>
    /// The flag sets io_uring_setup is asked for, best first. SINGLE_ISSUER (6.0) lets the kernel skip locking for a
    /// ring one thread submits to; DEFER_TASKRUN (6.1) runs completion work only when the reactor waits, never by
    /// interrupting it; COOP_TASKRUN (5.19) is the weaker form. R_DISABLED: the ring is created here, on the thread
    /// that builds the reactor, and becomes the reactor thread's own when that thread enables it.
    /// </summary>
    private static readonly uint[] FlagSets =
    [
        SetupSingleIssuer | SetupDeferTaskrun | SetupCoopTaskrun | SetupSubmitAll | SetupRDisabled,
        SetupSingleIssuer | SetupCoopTaskrun | SetupSubmitAll | SetupRDisabled,
        SetupCoopTaskrun | SetupSubmitAll | SetupRDisabled,
        SetupRDisabled,
    ];

    private readonly int _ringFd;
    private readonly byte* _rings;
    private readonly nuint _ringsSize;
    private readonly Sqe* _sqes;
    private readonly nuint _sqesSize;
    private readonly uint* _sqHead;
    private readonly uint* _sqTail;
    private readonly uint _sqMask;
    private readonly uint _sqEntries;
    private readonly uint* _cqHead;
    private readonly uint* _cqTail;
    private readonly uint _cqMask;
    private readonly Cqe* _cqes;
    private uint _sqTailLocal;

    // The descriptor io_uring_enter is called with: the registered-ring index once registration worked (the kernel
    // then skips the file-table lookup on every enter), else the ring's own descriptor.
    private int _enterFd;
    private uint _enterFlags;

    private IoUring(int ringFd, in Params p, byte* rings, nuint ringsSize, Sqe* sqes, nuint sqesSize, uint setupFlags)
    {
        _ringFd = _enterFd = ringFd;
        _rings = rings;
        _ringsSize = ringsSize;
        _sqes = sqes;
        _sqesSize = sqesSize;
        SetupFlags = setupFlags;
        SkipsSuccess = (p.Features & FeatCqeSkip) != 0;
        _sqHead = (uint*)(rings + p.SqOff.Head);
        _sqTail = (uint*)(rings + p.SqOff.Tail);
        _sqMask = *(uint*)(rings + p.SqOff.RingMask);
        _sqEntries = *(uint*)(rings + p.SqOff.RingEntries);
        _cqHead = (uint*)(rings + p.CqOff.Head);
        _cqTail = (uint*)(rings + p.CqOff.Tail);
        _cqMask = *(uint*)(rings + p.CqOff.RingMask);
        _cqes = (Cqe*)(rings + p.CqOff.Cqes);
        _sqTailLocal = *_sqTail;

        // The SQ index array is an indirection not needed here: slot i always names entry i.
        var array = (uint*)(rings + p.SqOff.Array);
        for (uint i = 0; i < _sqEntries; i++)
        {
            array[i] = i;
        }
    }

    public uint SetupFlags { get; }

    /// <summary>IOSQE_CQE_SKIP_SUCCESS is known (Linux 5.17): a request may complete without a completion entry.</summary>
    public bool SkipsSuccess { get; }

    /// <summary>
    /// Creates a ring of <paramref name="sqEntries"/> submission and <paramref name="cqEntries"/> completion entries,
    /// trying the flag sets in order; null with the reason when the kernel refuses io_uring (disabled by
    /// kernel.io_uring_disabled, refused by a seccomp filter, or older than the features needed: multishot poll and
    /// timeouts on enter, Linux 5.13).
    /// </summary>
    public static IoUring? TryCreate(uint sqEntries, uint cqEntries, out string? refusal)
    {
        refusal = null;
        foreach (var flags in FlagSets)
        {
            var p = default(Params);
            p.Flags = flags | SetupCqSize;
            p.CqEntries = cqEntries;
            var fd = (int)syscall(SysIoUringSetup, sqEntries, (long)&p, 0, 0, 0, 0);
            if (fd < 0)
            {
                var errno = Native.LastError;
                refusal = $"io_uring_setup: errno {errno}";
                if (errno is 1 or 38)
                {
                    return null; // EPERM (disabled, or a seccomp filter), ENOSYS: no other flag set will help
                }

                continue; // EINVAL: an older kernel that does not know a flag; try the next set
            }

            const uint needed = FeatSingleMmap | FeatNoDrop | FeatExtArg | FeatRsrcTags;
            if ((p.Features & needed) != needed)
            {
                _ = Native.Close(fd);
                refusal = $"io_uring features 0x{p.Features:x} lack 0x{needed & ~p.Features:x} (Linux 5.13 or later needed)";
                return null;
            }

            // With IORING_FEAT_SINGLE_MMAP the SQ and CQ rings share one mapping, as long as the larger of the two;
            // the entries are a second mapping.
            var ringsSize = (nuint)Math.Max(p.SqOff.Array + (p.SqEntries * sizeof(uint)), p.CqOff.Cqes + (p.CqEntries * (uint)sizeof(Cqe)));
            var sqesSize = (nuint)(p.SqEntries * (uint)sizeof(Sqe));
            var rings = (byte*)mmap(null, ringsSize, ProtRead | ProtWrite, MapShared | MapPopulate, fd, OffSqRing);
            var sqes = (Sqe*)mmap(null, sqesSize, ProtRead | ProtWrite, MapShared | MapPopulate, fd, OffSqes);
            if (rings == (byte*)-1 || sqes == (Sqe*)-1)
            {
                refusal = $"mmap of the io_uring rings: errno {Native.LastError}";
                _ = Native.Close(fd);
                return null;
            }

            return new IoUring(fd, p, rings, ringsSize, sqes, sqesSize, flags);
        }

        return null;
    }

    /// <summary>
    /// Makes the ring the calling thread's (the reactor thread's): enables it, which binds SINGLE_ISSUER's submitter,
    /// and registers its descriptor with that thread. Returns 0 or the errno.
    /// </summary>
    public int Enable()
    {
        if (Register(RegisterEnableRings, null, 0) < 0)
        {
            return Native.LastError;
        }

        var update = default(RsrcUpdate);
        update.Offset = uint.MaxValue; // "pick a free registered-ring slot"
        update.Data = (ulong)_ringFd;
        if (Register(RegisterRingFds, &update, 1) == 1)
        {
            _enterFd = (int)update.Offset;
            _enterFlags = EnterRegisteredRing;
        }

        return 0;
    }

    /// <summary>
    /// The next free submission entry, zeroed. When the submission ring is full the entries so far go to the kernel
    /// first (a submit-only enter): rare, the ring has room for many loop turns of work.
    /// </summary>
    public Sqe* NextSqe()
    {
        if (_sqTailLocal - Volatile.Read(ref *_sqHead) >= _sqEntries)
        {
            _ = Enter(0, -1, getEvents: false);
        }

        var sqe = _sqes + (_sqTailLocal & _sqMask);
        *sqe = default;
        _sqTailLocal++;
        return sqe;
    }

    /// <summary>
    /// Publishes every entry queued since the last call and, with <paramref name="getEvents"/>, waits in the same
    /// system call: for one completion at most <paramref name="timeoutMilliseconds"/> (-1: no limit; 0: only runs
    /// the completion work already due). Returns the raw result: ≥ 0, or -errno (-ETIME when the time ran out).
    /// </summary>
    public int Enter(uint waitFor, int timeoutMilliseconds, bool getEvents = true)
    {
        var toSubmit = _sqTailLocal - Volatile.Read(ref *_sqHead);
        Volatile.Write(ref *_sqTail, _sqTailLocal);
        var flags = _enterFlags | (getEvents ? EnterGetEvents : 0);
        long result;
        if (getEvents && waitFor > 0 && timeoutMilliseconds >= 0)
        {
            var ts = new Timespec { Seconds = timeoutMilliseconds / 1000, Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L };
            var arg = new GetEventsArg { Ts = (ulong)&ts };
            result = syscall(SysIoUringEnter, _enterFd, toSubmit, waitFor, flags | EnterExtArg, (long)&arg, sizeof(GetEventsArg));
        }
        else
        {
            result = syscall(SysIoUringEnter, _enterFd, toSubmit, getEvents ? waitFor : 0, flags, 0, 0);
        }

        return result < 0 ? -Native.LastError : (int)result;
    }

    /// <summary>The completion queue as it is now: walk [<see cref="CqHead"/>, <see cref="CqTail"/>) with <see cref="CqeAt"/>, then <see cref="Consumed"/>.</summary>
    public uint CqHead => *_cqHead;

    public uint CqTail => Volatile.Read(ref *_cqTail);

    public Cqe* CqeAt(uint index) => _cqes + (index & _cqMask);

    /// <summary>Hands the completion entries before <paramref name="head"/> back to the kernel.</summary>
    public void Consumed(uint head) => Volatile.Write(ref *_cqHead, head);

    public void Dispose()
    {
        // Closing the ring cancels whatever is still armed and drops the files those requests held.
        _ = munmap(_sqes, _sqesSize);
        _ = munmap(_rings, _ringsSize);
        _ = Native.Close(_ringFd);
    }

    private int Register(uint opcode, void* arg, uint count)
    {
        var result = syscall(SysIoUringRegister, _ringFd, opcode, (long)arg, count, 0, 0);
        return result < 0 ? -1 : (int)result;
    }

    // glibc's syscall(2) moves its integer arguments into the system-call registers and returns -1 with errno set.
    // Declared with six fixed long arguments: it never calls va_arg, so the variadic convention plays no part.
    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    [LibraryImport("libc", SetLastError = true)]
    private static partial void* mmap(void* address, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(void* address, nuint length);

    /// <summary>struct io_sqring_offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SqOffsets
    {
        public uint Head;
        public uint Tail;
        public uint RingMask;
        public uint RingEntries;
        public uint Flags;
        public uint Dropped;
        public uint Array;
        public uint Resv1;
        public ulong UserAddr;
    }

    /// <summary>struct io_cqring_offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct CqOffsets
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

    /// <summary>struct io_uring_params (120 bytes): in, the sizes and flags wanted; out, the features and ring offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Params
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
    /// struct io_uring_sqe (64 bytes). The kernel header is a stack of unions; only the members written here are
    /// named, each at the offset of the union member it stands for.
    /// </summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    public struct Sqe
    {
        [FieldOffset(0)] public byte Opcode;
        [FieldOffset(1)] public byte Flags;        // IOSQE_*
        [FieldOffset(4)] public int Fd;
        [FieldOffset(16)] public ulong Addr;       // addr: for ASYNC_CANCEL, the user_data of the request to cancel
        [FieldOffset(24)] public uint Len;         // len: IORING_POLL_ADD_* flags
        [FieldOffset(28)] public uint OpFlags;     // poll32_events; cancel_flags
        [FieldOffset(32)] public ulong UserData;   // comes back unchanged in the completion
    }

    /// <summary>struct io_uring_cqe (16 bytes without IORING_SETUP_CQE32).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Cqe
    {
        public ulong UserData;
        public int Res;     // the result (a poll's ready mask), or -errno
        public uint Flags;  // IORING_CQE_F_*
    }

    /// <summary>struct __kernel_timespec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>struct io_uring_getevents_arg: IORING_ENTER_EXT_ARG's argument, here only for the timeout.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct GetEventsArg
    {
        public ulong Sigmask;
        public uint SigmaskSize;
        public uint MinWaitUsec;
        public ulong Ts;
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
