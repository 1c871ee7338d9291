namespace Kubegate.Proxy.Reactors;

/// <summary>How reactors learn that their sockets are ready (the kubegate-only <c>--event-interface</c> flag).</summary>
internal enum EventInterface
{
    /// <summary>io_uring when the kernel allows it (Linux 5.13+, not disabled by sysctl or seccomp), else epoll.</summary>
    Auto,

    /// <summary>Edge-triggered epoll, one instance per reactor.</summary>
    Epoll,
}
