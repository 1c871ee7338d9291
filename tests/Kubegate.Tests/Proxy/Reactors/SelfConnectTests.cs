using System.Net;
using System.Net.Sockets;
using Kubegate.Proxy.Reactors;

namespace Kubegate.Tests.Proxy.Reactors;

/// <summary>The check that tells a socket connected to itself (TCP's simultaneous open with itself) from a real connection.</summary>
public class SelfConnectTests
{
    [Fact]
    public void IsConnectedToItself_ASocketConnectedToItsOwnPort_True()
    {
        // Bound, not listening, then connected to its own address: TCP lets the SYN meet itself.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var own = (IPEndPoint)socket.LocalEndPoint!;
        socket.Connect(own);

        Assert.True(Native.IsConnectedToItself((int)socket.Handle, SocketAddressBuffer.From(own)));
    }

    [Fact]
    public void IsConnectedToItself_AConnectionToAListener_False()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var server = (IPEndPoint)listener.LocalEndPoint!;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(server);

        Assert.False(Native.IsConnectedToItself((int)client.Handle, SocketAddressBuffer.From(server)));
    }

    [Fact]
    public void SameAs_ComparesFamilyPortAndAddress()
    {
        var a = SocketAddressBuffer.From(new IPEndPoint(IPAddress.Loopback, 40000));

        Assert.True(a.SameAs(SocketAddressBuffer.From(new IPEndPoint(IPAddress.Loopback, 40000))));
        Assert.False(a.SameAs(SocketAddressBuffer.From(new IPEndPoint(IPAddress.Loopback, 40001))));
        Assert.False(a.SameAs(SocketAddressBuffer.From(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 40000))));
        Assert.False(a.SameAs(SocketAddressBuffer.From(new IPEndPoint(IPAddress.IPv6Loopback, 40000))));
        Assert.True(SocketAddressBuffer.From(new IPEndPoint(IPAddress.IPv6Loopback, 40000)).SameAs(SocketAddressBuffer.From(new IPEndPoint(IPAddress.IPv6Loopback, 40000))));
    }
}
