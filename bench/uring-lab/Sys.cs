using System.Runtime.InteropServices;

namespace UringLab;

/// <summary>
/// The Linux calls both back ends share, as source-generated P/Invokes with blittable arguments (no marshalling stub,
/// no allocation per call, errors as errno), the same way kubegate's Reactors/Native.cs does it. Constants are the
/// generic Linux values (x86-64 and arm64 share them).
/// </summary>
internal static unsafe partial class Sys
{
    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EBUSY = 16;
    public const int EINPROGRESS = 115;
    public const int ECANCELED = 125;
    public const int ENOBUFS = 105;
    public const int ENOENT = 2;
    public const int EALREADY = 114;

    public const int SockStream = 1;
    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int MsgNoSignal = 0x4000;
    public const int MsgWaitAll = 0x100;
    public const int ShutWr = 1;
    public const ushort AfInet = 2;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    private const string Libc = "libc";
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SoReusePort = 15;
    private const int IpprotoTcp = 6;
    private const int TcpNodelay = 1;
    private const int EpollCtlAdd = 1;
    private const int EpollCloexec = 0x80000;

    /// <summary>
    /// struct epoll_event is packed on x86-64 (12 bytes, data at offset 4) and naturally aligned elsewhere (16, data
    /// at 8); the lab reads it through these offsets instead of a struct so one binary layout rule covers both.
    /// </summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>A sockaddr_in for 127.0.0.1-style IPv4 endpoints (family, port in network order, address, zero pad).</summary>
    public static void WriteSockaddrIn(byte* sa, uint addressHostOrder, ushort port)
    {
        new Span<byte>(sa, 16).Clear();
        *(ushort*)sa = AfInet;
        sa[2] = (byte)(port >> 8);
        sa[3] = (byte)port;
        sa[4] = (byte)(addressHostOrder >> 24);
        sa[5] = (byte)(addressHostOrder >> 16);
        sa[6] = (byte)(addressHostOrder >> 8);
        sa[7] = (byte)addressHostOrder;
    }

    /// <summary>
    /// A listening socket of its own for one reactor: SO_REUSEPORT lets every reactor bind the same port, and the
    /// kernel spreads new connections over them, so no accept is shared between threads (kubegate's shape).
    /// </summary>
    public static int Listen(byte* sockaddr, bool nonBlocking)
    {
        var fd = socket(AfInet, SockStream | SockCloexec | (nonBlocking ? SockNonblock : 0), 0);
        if (fd < 0)
        {
            return -LastError;
        }

        SetInt(fd, SolSocket, SoReuseAddr, 1);
        SetInt(fd, SolSocket, SoReusePort, 1);
        if (bind(fd, sockaddr, 16) != 0 || listen(fd, 4096) != 0)
        {
            var errno = LastError;
            _ = close(fd);
            return -errno;
        }

        return fd;
    }

    public static int Socket(bool nonBlocking) => socket(AfInet, SockStream | SockCloexec | (nonBlocking ? SockNonblock : 0), 0);

    public static void SetNoDelay(int fd) => SetInt(fd, IpprotoTcp, TcpNodelay, 1);

    public static int Connect(int fd, byte* sockaddr) => connect(fd, sockaddr, 16) == 0 ? 0 : LastError;

    public static int Accept(int listenFd) => accept4(listenFd, null, null, SockNonblock | SockCloexec);

    public static nint Recv(int fd, byte* buffer, int length) => recv(fd, buffer, (nuint)length, 0);

    public static nint Send(int fd, byte* buffer, int length) => send(fd, buffer, (nuint)length, MsgNoSignal);

    public static int Shutdown(int fd, int how) => shutdown(fd, how);

    public static int Close(int fd) => close(fd);

    public static int EpollCreate() => epoll_create1(EpollCloexec);

    public static int EpollAdd(int epfd, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + EpollDataOffset) = data;
        return epoll_ctl(epfd, EpollCtlAdd, fd, ev) == 0 ? 0 : LastError;
    }

    public static int EpollWait(int epfd, byte* events, int max, int timeout) => epoll_wait(epfd, events, max, timeout);

    public static uint EpollEvents(byte* events, int i) => *(uint*)(events + (i * EpollEventSize));

    public static ulong EpollData(byte* events, int i) => *(ulong*)(events + (i * EpollEventSize) + EpollDataOffset);

    private static void SetInt(int fd, int level, int name, int value) => _ = setsockopt(fd, level, name, &value, sizeof(int));

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int bind(int fd, byte* address, uint length);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int listen(int fd, int backlog);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int accept4(int fd, byte* address, uint* length, int flags);

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
    private static partial int epoll_create1(int flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_ctl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);
}
