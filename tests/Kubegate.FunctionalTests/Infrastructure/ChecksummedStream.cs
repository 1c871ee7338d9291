using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// One long-lived connection through kubegate to an echo server that sends numbered, SHA-256-checksummed chunks and
/// checks every byte that comes back: the chunk must equal what was sent (position, length, content) and its
/// checksum must hold. Paced by a timer so a hundred of them leave the 2-core machine room for the reloads (or for
/// the fault injection and health checks of the network fault tests).
/// </summary>
internal sealed class ChecksummedStream : IAsyncDisposable
{
    private const int HeaderSize = 16;
    private const int MaxPayload = 8 * 1024;

    private readonly Socket _socket;
    private readonly int _id;
    private long _roundTrips;
    private long _bytes;

    private ChecksummedStream(Socket socket, int id)
    {
        _socket = socket;
        _id = id;
    }

    /// <summary>Chunks sent and verified so far.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Bytes verified so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The first thing that went wrong (corruption, reset, early EOF), or null.</summary>
    public string? Failure { get; private set; }

    public static async Task<ChecksummedStream> ConnectAsync(IPEndPoint endPoint, int id)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(15));
        return new ChecksummedStream(socket, id);
    }

    /// <summary>A stream over a socket the caller connected (e.g. one made inside a network namespace); it owns the socket.</summary>
    public static ChecksummedStream Over(Socket socket, int id) => new(socket, id);

    /// <summary>True when bytes came back different from what was sent, or more than was sent (not a reset, EOF or timeout).</summary>
    public bool Corrupted { get; private set; }

    /// <summary>Streams until <paramref name="stop"/>, then half-closes and expects a clean end from the far side.</summary>
    public async Task RunAsync(TimeSpan pace, CancellationToken stop)
    {
        var send = new byte[HeaderSize + MaxPayload + SHA256.HashSizeInBytes];
        var receive = new byte[send.Length];
        using var timer = new PeriodicTimer(pace);
        try
        {
            for (long sequence = 0; !stop.IsCancellationRequested; sequence++)
            {
                var length = Fill(send, sequence);
                await SendAllAsync(send.AsMemory(0, length));
                await ReceiveExactlyAsync(receive.AsMemory(0, length));
                if (!receive.AsSpan(0, length).SequenceEqual(send.AsSpan(0, length)) || !Verify(receive.AsSpan(0, length)))
                {
                    Corrupted = true;
                    Failure = $"stream {_id}: chunk {sequence} came back corrupted";
                    return;
                }

                Interlocked.Increment(ref _roundTrips);
                Interlocked.Add(ref _bytes, length);
                try
                {
                    await timer.WaitForNextTickAsync(stop);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            _socket.Shutdown(SocketShutdown.Send);
            var n = await _socket.ReceiveAsync(receive.AsMemory()).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            if (n != 0)
            {
                Corrupted = true;
                Failure = $"stream {_id}: {n} unexpected bytes after the last chunk";
            }
        }
        catch (Exception ex) when (ex is SocketException or EndOfStreamException or TimeoutException)
        {
            Failure = $"stream {_id}: {ex.GetType().Name}: {ex.Message}";
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    // [id:4][sequence:8][payload length:4][payload][SHA-256 of everything before]
    private int Fill(byte[] buffer, long sequence)
    {
        var random = new Random(HashCode.Combine(_id, sequence));
        var payload = random.Next(1, MaxPayload + 1);
        BinaryPrimitives.WriteInt32LittleEndian(buffer, _id);
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(4), sequence);
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(12), payload);
        random.NextBytes(buffer.AsSpan(HeaderSize, payload));
        SHA256.HashData(buffer.AsSpan(0, HeaderSize + payload), buffer.AsSpan(HeaderSize + payload));
        return HeaderSize + payload + SHA256.HashSizeInBytes;
    }

    private static bool Verify(ReadOnlySpan<byte> chunk)
    {
        var payload = BinaryPrimitives.ReadInt32LittleEndian(chunk[12..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(chunk[..(HeaderSize + payload)], hash);
        return hash.SequenceEqual(chunk.Slice(HeaderSize + payload, SHA256.HashSizeInBytes));
    }

    private async Task SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var n = await _socket.SendAsync(data).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            data = data[n..];
        }
    }

    private async Task ReceiveExactlyAsync(Memory<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            var n = await _socket.ReceiveAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(15));
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF with {buffer.Length} bytes of a chunk missing");
            }

            buffer = buffer[n..];
        }
    }
}
