using Kubegate.Testing;
using System.Net;
using System.Net.Sockets;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>Raw client-side helpers: connect, read to the end, read exactly, reset (RST instead of FIN).</summary>
internal static class SocketTestExtensions
{
    private static readonly LingerOption ResetLinger = new(enable: true, seconds: 0);

    public static async Task<Socket> ConnectTcpAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint).DefaultTimeout();
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads until FIN; throws <see cref="SocketException"/> on a reset.</summary>
    public static async Task<byte[]> ReceiveToEndAsync(this Socket socket, int limit = 1 << 20)
    {
        var result = await socket.ReceiveUntilClosedAsync(limit);
        if (!result.CleanEof)
        {
            throw new SocketException((int)result.Error);
        }

        return result.Data;
    }

    /// <summary>Reads until FIN or a socket error, whichever comes first, and says which it was.</summary>
    public static async Task<ReceiveResult> ReceiveUntilClosedAsync(this Socket socket, int limit = 1 << 20)
    {
        var stream = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory()).AsTask().DefaultTimeout();
                if (n == 0)
                {
                    return new ReceiveResult(stream.ToArray(), SocketError.Success);
                }

                stream.Write(buffer, 0, n);
                if (stream.Length > limit)
                {
                    throw new InvalidOperationException($"more than {limit} bytes received");
                }
            }
        }
        catch (SocketException ex)
        {
            return new ReceiveResult(stream.ToArray(), ex.SocketErrorCode);
        }
    }

    public static async Task<byte[]> ReceiveExactlyAsync(this Socket socket, int count)
    {
        var buffer = new byte[count];
        var total = 0;
        while (total < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(total)).AsTask().DefaultTimeout();
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF after {total} of {count} bytes");
            }

            total += n;
        }

        return buffer;
    }

    public static async Task SendAllAsync(this Socket socket, ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var n = await socket.SendAsync(data).AsTask().DefaultTimeout();
            data = data[n..];
        }
    }

    /// <summary>Closes with SO_LINGER 0, so the peer gets RST instead of FIN.</summary>
    public static void Reset(this Socket socket)
    {
        socket.LingerState = ResetLinger;
        socket.Close();
    }

    /// <summary>
    /// True when nothing arrives (no data, no FIN, no reset) within <paramref name="wait"/>: a bounded wait for a
    /// non-event, for asserting that a connection stays open.
    /// </summary>
    public static async Task<bool> StaysSilentAsync(this Socket socket, TimeSpan wait)
    {
        using var cts = new CancellationTokenSource(wait);
        try
        {
            await socket.ReceiveAsync(new byte[1], SocketFlags.Peek, cts.Token);
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
