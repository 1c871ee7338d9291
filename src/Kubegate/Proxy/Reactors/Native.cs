using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kubegate.Proxy.Reactors;

/// <summary>
/// The Linux system calls of the reactors, as source-generated P/Invokes with blittable arguments: no marshalling
/// stubs, no allocation, errors as errno values. Written by hand because .NET's socket engine (what this replaces)
/// keeps its own epoll internal, and no maintained package exposes epoll/accept4/splice for NativeAOT without
/// allocating per call. Constants are the generic Linux values (x86-64 and arm64 share them).
/// </summary>
internal static unsafe partial class Native
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int ENOBUFS = 105;
    public const int EINPROGRESS = 115;
    public const int ETIMEDOUT = 110;
    public const int ECONNRESET = 104;
    public const int ECONNREFUSED = 111;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28;
    public const uint EPOLLET = 1u << 31;

    public const int ShutRd = 0;
    public const int ShutWr = 1;
    public const int ShutRdWr = 2;

    private const string Libc = "libc";
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const int EpollCloexec = 0x80000;
    private const int EfdCloexec = 0x80000;
    private const int EfdNonblock = 0x800;
    private const int SockStream = 1;
    private const int SockNonblock = 0x800;
    private const int SockCloexec = 0x80000;
    private const int MsgNoSignal = 0x4000;
    private const int SolSocket = 1;
    private const int SoError = 4;
    private const int SoKeepalive = 9;
    private const int SoLinger = 13;
    private const int IpprotoTcp = 6;
    private const int TcpNodelay = 1;
    private const int TcpKeepidle = 4;
    private const int TcpKeepintvl = 5;
    private const int TcpKeepcnt = 6;
    private const int RlimitNofile = 7;
    private const ushort AfInet = 2;
    private const ushort AfInet6 = 10;

    private const int EPERM = 1;
    private const int EINVAL = 22;
    private const int EPIPE = 32;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;
    private const int EADDRNOTAVAIL = 99;
    private const int ENETUNREACH = 101;
    private const int ECONNABORTED = 103;
    private const int ENOTCONN = 107;
    private const int EHOSTUNREACH = 113;

    /// <summary>
    /// Size of <c>struct epoll_event</c> and the offset of its data: the kernel packs it on x86-64 (12 bytes, data
    /// at 4) and aligns it naturally elsewhere (16 bytes, data at 8).
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static int LastError => Marshal.GetLastPInvokeError();

    public static int EpollCreate() => epoll_create1(EpollCloexec);

    /// <summary>Registers <paramref name="fd"/> with <paramref name="events"/> and the 64-bit <paramref name="data"/>; 0 or errno.</summary>
    public static int EpollAdd(int epfd, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        WriteEpollEvent(ev, events, data);
        return epoll_ctl(epfd, EpollCtlAdd, fd, ev) == 0 ? 0 : LastError;
    }

    public static int EpollDelete(int epfd, int fd)
    {
        var ev = stackalloc byte[16];
        return epoll_ctl(epfd, EpollCtlDel, fd, ev) == 0 ? 0 : LastError;
    }

    public static int EpollWait(int epfd, byte* events, int maxEvents, int timeoutMs) => epoll_wait(epfd, events, maxEvents, timeoutMs);

    public static uint EpollEvents(byte* events, int index) => *(uint*)(events + (index * EpollEventSize));

    public static ulong EpollData(byte* events, int index) => *(ulong*)(events + (index * EpollEventSize) + EpollDataOffset);

    public static int EventFdCreate() => eventfd(0, EfdCloexec | EfdNonblock);

    public static void EventFdSignal(int fd)
    {
        ulong one = 1;
        _ = write(fd, &one, sizeof(ulong));
    }

    public static void EventFdDrain(int fd)
    {
        ulong value;
        _ = read(fd, &value, sizeof(ulong));
    }

    /// <summary>accept4 of a non-blocking, close-on-exec socket; the peer address goes into <paramref name="address"/>.</summary>
    public static int Accept(int listenFd, ref SocketAddressBuffer address)
    {
        fixed (byte* p = address.Bytes)
        {
            var length = (uint)SocketAddressBuffer.Size;
            return accept4(listenFd, p, &length, SockNonblock | SockCloexec);
        }
    }

    public static int CreateStreamSocket(AddressFamily family) =>
        socket(family == AddressFamily.InterNetworkV6 ? AfInet6 : AfInet, SockStream | SockNonblock | SockCloexec, 0);

    /// <summary>Starts a non-blocking connect: 0 when connected at once, else the errno (EINPROGRESS: wait for EPOLLOUT).</summary>
    public static int Connect(int fd, in SocketAddressBuffer address)
    {
        fixed (byte* p = address.Bytes)
        {
            return connect(fd, p, (uint)address.Length) == 0 ? 0 : LastError;
        }
    }

    /// <summary>The pending error of a socket (SO_ERROR): the outcome of a non-blocking connect.</summary>
    public static int SocketError(int fd)
    {
        int value = 0;
        var length = (uint)sizeof(int);
        return getsockopt(fd, SolSocket, SoError, &value, &length) == 0 ? value : LastError;
    }

    public static nint Receive(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return recv(fd, p, (nuint)buffer.Length, 0);
        }
    }

    /// <summary>recv(2) with MSG_PEEK: the bytes stay in the socket for the next read.</summary>
    public static nint Peek(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return recv(fd, p, (nuint)buffer.Length, MsgPeek);
        }
    }

    private const int MsgPeek = 2;

    public static nint Send(int fd, ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return send(fd, p, (nuint)buffer.Length, MsgNoSignal);
        }
    }

    public static int Shutdown(int fd, int how) => shutdown(fd, how);

    public static int Close(int fd) => close(fd);

    public static void SetNoDelay(int fd) => SetInt(fd, IpprotoTcp, TcpNodelay, 1);

    /// <summary>SO_LINGER with a zero timeout: the close that follows sends RST instead of FIN.</summary>
    public static void SetLingerZero(int fd)
    {
        var linger = stackalloc int[2] { 1, 0 };
        _ = setsockopt(fd, SolSocket, SoLinger, linger, 2 * sizeof(int));
    }

    public static void SetKeepalive(int fd, long time, long interval, long probes)
    {
        SetInt(fd, SolSocket, SoKeepalive, 1);

        // Zero leaves the kernel default in place (net.ipv4.tcp_keepalive_*): the kernel refuses 0 for these options.
        if (time > 0)
        {
            SetInt(fd, IpprotoTcp, TcpKeepidle, (int)Math.Min(time, int.MaxValue));
        }

        if (interval > 0)
        {
            SetInt(fd, IpprotoTcp, TcpKeepintvl, (int)Math.Min(interval, int.MaxValue));
        }

        if (probes > 0)
        {
            SetInt(fd, IpprotoTcp, TcpKeepcnt, (int)Math.Min(probes, int.MaxValue));
        }
    }

    /// <summary>The soft limit on open descriptors (RLIMIT_NOFILE); <see cref="long.MaxValue"/> when unlimited or unknown.</summary>
    public static long FileLimit()
    {
        var limit = stackalloc ulong[2];
        return getrlimit(RlimitNofile, limit) == 0 && limit[0] < long.MaxValue ? (long)limit[0] : long.MaxValue;
    }

    /// <summary>
    /// True when a connected socket is connected to itself: its own address is <paramref name="peer"/>, the address it
    /// connected to. TCP allows that (a simultaneous open with itself) when the destination is a local address and a
    /// port in the ephemeral range with nothing listening, and the kernel picked that very port as the source: every
    /// byte sent then comes back. One getsockname, no allocation.
    /// </summary>
    public static bool IsConnectedToItself(int fd, in SocketAddressBuffer peer)
    {
        var local = default(SocketAddressBuffer);
        fixed (byte* p = local.Bytes)
        {
            var length = (uint)SocketAddressBuffer.Size;
            return getsockname(fd, p, &length) == 0 && local.SameAs(peer);
        }
    }

    /// <summary>The local address of a socket (getsockname), or null.</summary>
    public static IPEndPoint? LocalEndPoint(int fd)
    {
        var address = default(SocketAddressBuffer);
        fixed (byte* p = address.Bytes)
        {
            var length = (uint)SocketAddressBuffer.Size;
            return getsockname(fd, p, &length) == 0 ? address.ToEndPoint() : null;
        }
    }

    /// <summary>
    /// The <see cref="System.Net.Sockets.SocketError"/> .NET reports for a socket call failing with
    /// <paramref name="errno"/>, so connect failures read as before and a reset is passed on as a reset.
    /// </summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        0 => System.Net.Sockets.SocketError.Success,
        ECONNREFUSED => System.Net.Sockets.SocketError.ConnectionRefused,
        ECONNRESET => System.Net.Sockets.SocketError.ConnectionReset,
        EPIPE => System.Net.Sockets.SocketError.Shutdown,
        ENOTCONN => System.Net.Sockets.SocketError.NotConnected,
        ETIMEDOUT => System.Net.Sockets.SocketError.TimedOut,
        ECONNABORTED => System.Net.Sockets.SocketError.ConnectionAborted,
        EHOSTUNREACH => System.Net.Sockets.SocketError.HostUnreachable,
        ENETUNREACH => System.Net.Sockets.SocketError.NetworkUnreachable,
        EADDRNOTAVAIL => System.Net.Sockets.SocketError.AddressNotAvailable,
        EMFILE or ENFILE => System.Net.Sockets.SocketError.TooManyOpenSockets,
        ENOBUFS or ENOMEM => System.Net.Sockets.SocketError.NoBufferSpaceAvailable,
        EINVAL => System.Net.Sockets.SocketError.InvalidArgument,
        EOPNOTSUPP => System.Net.Sockets.SocketError.OperationNotSupported,
        EPERM => System.Net.Sockets.SocketError.AccessDenied,
        _ => System.Net.Sockets.SocketError.SocketError,
    };

    /// <summary>True for the errors that say "this kernel or socket cannot splice", not "this stream failed".</summary>
    public static bool IsSpliceUnsupported(int errno) => errno is EINVAL or ENOSYS or EOPNOTSUPP or EPERM;

    internal static ushort FamilyOf(ReadOnlySpan<byte> sockaddr) => MemoryMarshal.Read<ushort>(sockaddr);

    internal static bool IsInet6(ushort family) => family == AfInet6;

    internal static bool IsInet(ushort family) => family == AfInet;

    internal static ushort Inet6Family => AfInet6;

    internal static ushort InetFamily => AfInet;

    private static void SetInt(int fd, int level, int name, int value) => _ = setsockopt(fd, level, name, &value, sizeof(int));

    private static void WriteEpollEvent(byte* ev, uint events, ulong data)
    {
        *(uint*)ev = events;
        *(ulong*)(ev + EpollDataOffset) = data;
    }

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int eventfd(uint initval, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int accept4(int fd, byte* address, uint* length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int connect(int fd, byte* address, uint length);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint recv(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint send(int fd, byte* buffer, nuint length, int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int shutdown(int fd, int how);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int getsockopt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int getrlimit(int resource, ulong* limit);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int getsockname(int fd, byte* address, uint* length);
}
