using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>A fact that is skipped, with the reason, when the machine has no usable IPv6 loopback (xunit 2 has no runtime skip).</summary>
internal sealed class Ipv6LoopbackFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Unavailable = new(Probe);

    public Ipv6LoopbackFactAttribute()
    {
        if (Unavailable.Value is { } reason)
        {
            Skip = reason;
        }
    }

    private static string? Probe()
    {
        if (!Socket.OSSupportsIPv6)
        {
            return "the OS reports no IPv6 support";
        }

        try
        {
            using var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
            return null;
        }
        catch (SocketException ex)
        {
            return $"cannot bind [::1]:0 ({ex.SocketErrorCode}): no IPv6 loopback in this environment";
        }
    }
}
