using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Kubegate.Proxy.Splice;

/// <summary>
/// The Linux system calls of the splice relay, as source-generated P/Invokes (no runtime marshalling stubs, so
/// NativeAOT needs nothing extra). Constants are the generic Linux values, the same on x86-64 and arm64.
/// </summary>
internal static unsafe partial class SpliceInterop
{
    public const uint SpliceMove = 1;       // SPLICE_F_MOVE: a hint to move pages instead of copying them
    public const uint SpliceNonBlock = 2;   // SPLICE_F_NONBLOCK: never block on the pipe

    public const int EINTR = 4;
    public const int EAGAIN = 11;

    private const string Libc = "libc";
    private const int OCloexec = 0x80000;   // O_CLOEXEC: a child process (none today) must not inherit the pipes
    private const int ONonBlock = 0x800;    // O_NONBLOCK
    private const int FSetPipeSize = 1031;  // F_SETPIPE_SZ
    private const int FGetPipeSize = 1032;  // F_GETPIPE_SZ

    private const int EPERM = 1;
    private const int EINVAL = 22;
    private const int EPIPE = 32;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;
    private const int ENETUNREACH = 101;
    private const int ECONNABORTED = 103;
    private const int ECONNRESET = 104;
    private const int ENOTCONN = 107;
    private const int ETIMEDOUT = 110;
    private const int EHOSTUNREACH = 113;

    /// <summary>splice(2) without offsets (both ends are streams); the byte count, or -1 with errno set.</summary>
    public static nint Splice(int fdIn, int fdOut, int length, uint flags) => splice(fdIn, 0, fdOut, 0, (nuint)length, flags);

    /// <summary>Creates a non-blocking, close-on-exec pipe; false with errno set when the kernel refuses.</summary>
    public static bool TryCreatePipe(out int readFd, out int writeFd)
    {
        var fds = stackalloc int[2];
        if (pipe2(fds, ONonBlock | OCloexec) != 0)
        {
            readFd = writeFd = -1;
            return false;
        }

        readFd = fds[0];
        writeFd = fds[1];
        return true;
    }

    /// <summary>Asks for a pipe of <paramref name="size"/> bytes and returns the size the kernel granted (or kept).</summary>
    public static int SetPipeSize(int fd, int size)
    {
        if (size > 0)
        {
            // Refused above /proc/sys/fs/pipe-max-size or past the per-user pipe page budget: keep the default.
            _ = fcntl(fd, FSetPipeSize, size);
        }

        return fcntl(fd, FGetPipeSize, 0);
    }

    /// <summary>read(2) into <paramref name="buffer"/>; the byte count, or -1 with errno set.</summary>
    public static nint Read(int fd, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            return read(fd, p, (nuint)buffer.Length);
        }
    }

    public static int Close(int fd) => close(fd);

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>
    /// True for the errors that mean "this socket or kernel cannot splice" rather than "this stream failed": the
    /// relay then falls back to buffers, which is safe because the pipe is empty whenever the source is read.
    /// </summary>
    public static bool IsUnsupported(int errno) => errno is EINVAL or ENOSYS or EOPNOTSUPP or EPERM;

    /// <summary>
    /// The <see cref="SocketError"/> .NET would report for a socket call failing with <paramref name="errno"/>, so
    /// a spliced stream ends exactly as a copied one: a reset is passed on as a reset.
    /// </summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        ECONNRESET => SocketError.ConnectionReset,
        EPIPE => SocketError.Shutdown,
        ENOTCONN => SocketError.NotConnected,
        ETIMEDOUT => SocketError.TimedOut,
        ECONNABORTED => SocketError.ConnectionAborted,
        EHOSTUNREACH => SocketError.HostUnreachable,
        ENETUNREACH => SocketError.NetworkUnreachable,
        _ => SocketError.SocketError,
    };

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint splice(int fdIn, nint offIn, int fdOut, nint offOut, nuint len, uint flags);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int pipe2(int* fds, int flags);

    // fcntl is variadic in C; with only integer arguments the x86-64 and arm64 Linux calling conventions pass them
    // exactly as for a fixed-argument function.
    [LibraryImport(Libc, SetLastError = true)]
    private static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial nint read(int fd, byte* buffer, nuint count);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial int close(int fd);
}
