using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>A loopback port that is free now, for a process under test to bind later (a listener or admin port).</summary>
internal static class FreePort
{
    public static int Next()
    {
        // Bind to port 0 to get a free port from the kernel, then close so the process under test can take it.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }
}
