namespace Kubegate.Proxy.Reactors;

/// <summary>
/// Work for a reactor's thread: posted from another thread (<see cref="Reactor.Post"/>) or deferred by the reactor
/// itself (<see cref="Reactor.Defer"/>). Objects post themselves, so posting allocates nothing.
/// </summary>
internal interface IReactorWork
{
    void Execute();
}
