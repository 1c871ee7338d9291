namespace Kubegate.Proxy.Reactors;

/// <summary>
/// Where one reactor learns that its descriptors are ready: epoll (<see cref="EpollPort"/>) or io_uring
/// (<see cref="UringPort"/>). Both report readiness with the EPOLL* bits, edge-triggered when the registration asks
/// for <see cref="Native.EPOLLET"/> and level-triggered otherwise, so the handlers above do not know which one runs.
/// Every member but <see cref="IDisposable.Dispose"/> is called on the reactor thread only.
/// </summary>
internal interface IEventPort : IDisposable
{
    /// <summary>"epoll" or "io_uring", for logs and the admin.</summary>
    string Name { get; }

    /// <summary>Called once on the reactor thread before the first <see cref="Wait"/>; 0 or the errno.</summary>
    int Start();

    /// <summary>Starts watching <paramref name="fd"/> for <paramref name="events"/>; <paramref name="token"/> comes back with each report. 0 or the errno.</summary>
    int Add(int fd, uint events, ulong token);

    /// <summary>Stops watching a descriptor that stays open (a listening socket): no report for it after this returns.</summary>
    void Remove(int fd, ulong token);

    /// <summary>
    /// Stops watching <paramref name="fd"/> (when <paramref name="token"/> is not 0) and closes it. The close may reach
    /// the kernel at the end of the loop turn: io_uring's poll holds its own reference to the socket, so closing the
    /// descriptor alone would neither end the poll nor send the FIN.
    /// </summary>
    void Close(int fd, ulong token);

    /// <summary>
    /// Hands what was queued to the kernel and waits at most <paramref name="timeoutMilliseconds"/> (-1: no limit, 0:
    /// not at all) for a descriptor to become ready. Returns 0, or the errno of a failed wait.
    /// </summary>
    int Wait(int timeoutMilliseconds);

    /// <summary>Reports each descriptor the last <see cref="Wait"/> found ready to <paramref name="sink"/>.</summary>
    void Dispatch(IEventSink sink);

    /// <summary>Hands what was queued (closes) to the kernel without waiting: the loop's last act.</summary>
    void Flush();
}

/// <summary>What an <see cref="IEventPort"/> reports to: the reactor's dispatch.</summary>
internal interface IEventSink
{
    void OnEvent(ulong token, uint events);
}
