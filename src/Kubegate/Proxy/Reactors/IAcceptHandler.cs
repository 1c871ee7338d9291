namespace Kubegate.Proxy.Reactors;

/// <summary>What a listener gives its acceptors: where accepted connections go and where accept failures are told.</summary>
internal interface IAcceptHandler
{
    /// <summary>A connection was accepted on <paramref name="reactor"/>'s thread; <paramref name="fd"/> is now the handler's.</summary>
    void OnAccepted(Reactor reactor, int fd, in SocketAddressBuffer peer);

    /// <summary>accept4 failed with <paramref name="errno"/>; for descriptor exhaustion the acceptor now backs off.</summary>
    void OnAcceptFailed(int errno, bool backingOff);
}
