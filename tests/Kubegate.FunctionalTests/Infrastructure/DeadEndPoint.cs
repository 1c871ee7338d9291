using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>A loopback port with nothing listening: connects to it are refused at once.</summary>
internal static class DeadEndPoint
{
    // The sockets stay bound (never listening) until the test process ends. A port that was bound and closed again
    // goes back to the kernel, which may hand it to the next bind(0) of a test running in parallel: that test's echo
    // server would then receive the health checks and retries meant for "nothing", and count accepts it never caused.
    private static readonly ConcurrentBag<Socket> Held = [];

    public static IPEndPoint Create(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, 0));
        Held.Add(socket);
        return (IPEndPoint)socket.LocalEndPoint!;
    }
}
