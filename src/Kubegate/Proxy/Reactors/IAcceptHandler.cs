namespace Kubegate.Proxy.Reactors;

/// <summary>What a listener gives its acceptors: where accepted connections go and where accept failures are told.</summary>
internal interface IAcceptHandler
{
    /// <summary>A connection was accepted on <paramref name="reactor"/>'s thread; <paramref name="fd"/> is now the handler's.</summary>
    void OnAccepted(Reactor reactor, int fd, in SocketAddressBuffer peer);

    /// <summary>
    /// accept4 failed with <paramref name="errno"/>, or (<paramref name="reserveReached"/> not null: the budget in question) the acceptor did not
    /// accept so as to keep the descriptor reserve; when <paramref name="backingOff"/> it pauses before accepting again.
    /// </summary>
    void OnAcceptFailed(int errno, bool backingOff, DescriptorBudget? reserveReached);
}
