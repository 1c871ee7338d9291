using System.Net.Sockets;

namespace Kubegate.Proxy;

/// <summary>The outcome of a socket operation as a value: bytes transferred and the OS error, never an exception.</summary>
internal readonly record struct SocketOperationResult(int BytesTransferred, SocketError Error)
{
    public bool Succeeded => Error == SocketError.Success;
}
