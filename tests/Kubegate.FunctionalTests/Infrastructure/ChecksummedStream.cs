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
/// Chunks carry up to 8 KiB by default; the soak also runs streams of chunks larger than kubegate's 64 KiB relay
/// buffer, so those go through its splice path.
/// </summary>
internal sealed class ChecksummedStream : IAsyncDisposable
{
    private const int HeaderSize = 16;
    private const int DefaultMaxPayload = 8 * 1024;

    private readonly Socket _socket;
    private readonly int _id;
    private readonly int _maxPayload;
    private long _roundTrips;
    private long _bytes;

    private ChecksummedStream(Socket socket, int id, int maxPayload)
    {
        _socket = socket;
        _id = id;
        _maxPayload = maxPayload;
    }

    /// <summary>Chunks sent and verified so far.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    /// <summary>Bytes verified so far.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>The first thing that went wrong (corruption, reset, early EOF), or null.</summary>
    public string? Failure { get; private set; }

    /// <summary>The kind of <see cref="Failure"/>, for callers that count failures by kind; null while none.</summary>
    public StreamFailureKind? FailureKind { get; private set; }

    /// <param name="endPoint">Where to connect (kubegate's listener).</param>
    /// <param name="id">The stream's number, part of every chunk.</param>
    /// <param name="maxPayload">The largest payload of a chunk (each is 1 to this many random bytes). Default 8 KiB.</param>
    public static async Task<ChecksummedStream> ConnectAsync(IPEndPoint endPoint, int id, int maxPayload = DefaultMaxPayload)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPayload, 1);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint).WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new ChecksummedStream(socket, id, maxPayload);
    }

    /// <summary>A stream over a socket the caller connected (e.g. one made inside a network namespace); it owns the socket.</summary>
    public static ChecksummedStream Over(Socket socket, int id, int maxPayload = DefaultMaxPayload) => new(socket, id, maxPayload);

    /// <summary>True when bytes came back different from what was sent, or more than was sent (not a reset, EOF or timeout).</summary>
    public bool Corrupted => FailureKind == StreamFailureKind.Corrupted;

    /// <summary>Streams until <paramref name="stop"/>, then half-closes and expects a clean end from the far side.</summary>
    public async Task RunAsync(TimeSpan pace, CancellationToken stop)
    {
        var send = new byte[HeaderSize + _maxPayload + SHA256.HashSizeInBytes];
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
                    Fail(StreamFailureKind.Corrupted, $"stream {_id}: chunk {sequence} came back corrupted");
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
                Fail(StreamFailureKind.Corrupted, $"stream {_id}: {n} unexpected bytes after the last chunk");
            }
        }
        catch (Exception ex) when (ex is SocketException or EndOfStreamException or TimeoutException)
        {
            var kind = ex switch
            {
                EndOfStreamException => StreamFailureKind.Truncated,
                TimeoutException => StreamFailureKind.Timeout,
                SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted } => StreamFailureKind.Reset,
                _ => StreamFailureKind.Socket,
            };
            Fail(kind, $"stream {_id}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private void Fail(StreamFailureKind kind, string message)
    {
        FailureKind = kind;
        Failure = message;
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
        var payload = random.Next(1, _maxPayload + 1);
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
