namespace Kubegate.Proxy;

/// <summary>Receives the completion of <see cref="SocketAwaitableEventArgs.WaitForData"/>.</summary>
internal interface IDataReadyHandler
{
    void OnDataReady(SocketAwaitableEventArgs args, SocketOperationResult result);
}
