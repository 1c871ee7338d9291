using System.Runtime.InteropServices;
using Kubegate.Proxy.Reactors;

namespace UringLab;

/// <summary>
/// The Linux calls the lab needs beyond kubegate's own <c>Native</c> (compiled in from src/Kubegate/Proxy/Reactors, so
/// the epoll back end makes kubegate's very calls): a listening socket per reactor with SO_REUSEPORT, a blocking socket
/// for the ring, a connect and an accept on raw <c>sockaddr</c> pointers the ring shares, and the errno values and
/// flags of the ring's operations. Source-generated P/Invokes with blittable arguments, errors as errno.
/// </summary>
internal static unsafe partial class Sys
{
    public const int EBUSY = 16;
    public const int ENOENT = 2;

    public const int SockStream = 1;
    public const int SockNonblock = 0x800;
    public const int SockCloexec = 0x80000;
    public const int MsgNoSignal = 0x4000;
    public const int MsgWaitAll = 0x100;
    public const ushort AfInet = 2;

    private const string Libc = "libc";
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int SoReusePort = 15;

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
            return -Native.LastError;
        }

        SetInt(fd, SolSocket, SoReuseAddr, 1);
        SetInt(fd, SolSocket, SoReusePort, 1);
        if (bind(fd, sockaddr, 16) != 0 || listen(fd, 4096) != 0)
        {
            var errno = Native.LastError;
            _ = Native.Close(fd);
            return -errno;
        }

        return fd;
    }

    public static int Socket(bool nonBlocking) => socket(AfInet, SockStream | SockCloexec | (nonBlocking ? SockNonblock : 0), 0);

    public static int Connect(int fd, byte* sockaddr) => connect(fd, sockaddr, 16) == 0 ? 0 : Native.LastError;

    public static int Accept(int listenFd) => accept4(listenFd, null, null, SockNonblock | SockCloexec);

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
    private static partial int setsockopt(int fd, int level, int name, void* value, uint length);
}
