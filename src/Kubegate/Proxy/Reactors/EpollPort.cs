namespace Kubegate.Proxy.Reactors;

/// <summary>
/// Readiness from one epoll instance: descriptors are registered once and never modified; closing a descriptor
/// removes it from epoll by itself, so a connection's close is one close(2) per socket.
/// </summary>
internal sealed unsafe class EpollPort : IEventPort
{
    private const int MaxEvents = 256;
    private readonly int _epollFd;
    private readonly byte* _events;
    private int _ready;

    private EpollPort(int epollFd)
    {
        _epollFd = epollFd;
        _events = (byte*)System.Runtime.InteropServices.NativeMemory.Alloc((nuint)(MaxEvents * Native.EpollEventSize));
    }

    public string Name => "epoll";

    public static EpollPort Create()
    {
        var fd = Native.EpollCreate();
        return fd >= 0 ? new EpollPort(fd) : throw new InvalidOperationException($"epoll_create1 failed: errno {Native.LastError}");
    }

    public int Start() => 0;

    public int Add(int fd, uint events, ulong token) => Native.EpollAdd(_epollFd, fd, events, token);

    public void Remove(int fd, ulong token) => _ = Native.EpollDelete(_epollFd, fd);

    public void Close(int fd, ulong token) => _ = Native.Close(fd);

    public int Wait(int timeoutMilliseconds)
    {
        _ready = Native.EpollWait(_epollFd, _events, MaxEvents, timeoutMilliseconds);
        if (_ready < 0)
        {
            var errno = Native.LastError;
            _ready = 0;
            return errno == Native.EINTR ? 0 : errno;
        }

        return 0;
    }

    public void Dispatch(IEventSink sink)
    {
        for (var i = 0; i < _ready; i++)
        {
            sink.OnEvent(Native.EpollData(_events, i), Native.EpollEvents(_events, i));
        }

        _ready = 0;
    }

    public void Flush()
    {
    }

    public void Dispose()
    {
        _ = Native.Close(_epollFd);
        System.Runtime.InteropServices.NativeMemory.Free(_events);
    }
}
