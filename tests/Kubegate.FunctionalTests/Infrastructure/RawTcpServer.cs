using Kubegate.Testing;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A loopback TCP server that hands every accepted socket to the test, which then plays the upstream byte by byte
/// (half-close, reset, bulk transfer). Accepted sockets are disposed with the server.
/// </summary>
internal sealed class RawTcpServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly Channel<Socket> _accepted = Channel.CreateUnbounded<Socket>();
    private readonly ConcurrentBag<Socket> _all = [];
    private readonly Task _loop;
    private int _acceptedCount;

    public RawTcpServer(IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(address, 0));
        _listener.Listen(1024);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public int AcceptedCount => Volatile.Read(ref _acceptedCount);

    /// <summary>The next accepted connection, in accept order.</summary>
    public async Task<Socket> AcceptAsync() => await _accepted.Reader.ReadAsync().AsTask().DefaultTimeout();

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync();
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                _accepted.Writer.TryComplete();
                return;
            }

            _all.Add(socket);
            Interlocked.Increment(ref _acceptedCount);
            _accepted.Writer.TryWrite(socket);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _loop;
        foreach (var socket in _all)
        {
            socket.Dispose();
        }
    }
}
