using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>How a receive loop ended: a clean FIN, or a reset (or other socket error).</summary>
internal sealed record ReceiveResult(byte[] Data, SocketError Error)
{
    public bool Reset => Error == SocketError.ConnectionReset;

    public bool CleanEof => Error == SocketError.Success;
}
