using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// A TCP server that echoes every byte and half-closes when its client does: on a loopback port of its own by
/// default. Also compiled into kubegate-test-apiserver (its <c>--echo</c>), bound to the address given there.
/// </summary>
internal sealed class TcpEchoServer : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _accepted;

    public TcpEchoServer()
        : this(new IPEndPoint(IPAddress.Loopback, 0))
    {
    }

    public TcpEchoServer(IPEndPoint endPoint)
    {
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endPoint);
        _listener.Listen(1024);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _loop = AcceptLoopAsync();
    }

    public IPEndPoint EndPoint { get; }

    public int Accepted => Volatile.Read(ref _accepted);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            Interlocked.Increment(ref _accepted);
            _ = EchoAsync(client);
        }
    }

    private static async Task EchoAsync(Socket client)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await client.ReceiveAsync(buffer);
                if (n == 0)
                {
                    client.Shutdown(SocketShutdown.Send);
                    break;
                }

                await client.SendAsync(buffer.AsMemory(0, n));
            }
        }
        catch (SocketException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Dispose();
        await _loop;
        _stop.Dispose();
    }
}
