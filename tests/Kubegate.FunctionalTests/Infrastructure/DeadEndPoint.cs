using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>A loopback port with nothing listening: connects to it are refused at once.</summary>
internal static class DeadEndPoint
{
    public static IPEndPoint Create(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;

        // Bind to port 0 to get a free port from the kernel, then close: nothing listens there any more.
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        return (IPEndPoint)socket.LocalEndPoint!;
    }
}
