namespace Kubegate.Proxy.Reactors;

/// <summary>Something registered with a reactor (its io_uring or epoll): told which of its descriptors became ready, on the reactor's thread.</summary>
internal interface IReactorHandler
{
    /// <summary>
    /// The descriptor registered as <paramref name="side"/> reported <paramref name="events"/> (EPOLL* bits).
    /// Runs on the reactor thread; must not block.
    /// </summary>
    void OnEvents(int side, uint events);

    /// <summary>
    /// <see cref="OnEvents"/>, <see cref="IReactorWork.Execute"/> or <see cref="ReactorTimer.OnTimer"/> threw: the
    /// reactor logged and counted it; the handler must now release what it holds (a connection resets).
    /// </summary>
    void OnFailed(Exception exception);
}
