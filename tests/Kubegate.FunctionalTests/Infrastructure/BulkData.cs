using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Kubegate.FunctionalTests.Infrastructure;

/// <summary>
/// Streams of seeded pseudo-random bytes for bulk-transfer tests: generated on the fly (SplitMix64, about memory
/// speed) and hashed with SHA-256 on both ends, so hundreds of MiB need no memory and any lost, duplicated or
/// reordered byte changes the hash.
/// </summary>
internal static class BulkData
{
    private const int ChunkSize = 256 * 1024;

    /// <summary>Sends <paramref name="length"/> bytes, then shuts down the send side; returns their SHA-256.</summary>
    public static async Task<byte[]> SendAsync(Socket socket, long length, ulong seed)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        var state = seed;
        for (var remaining = length; remaining > 0;)
        {
            var count = (int)Math.Min(remaining, ChunkSize);
            Fill(buffer.AsSpan(0, count), ref state);
            hash.AppendData(buffer, 0, count);
            var sent = 0;
            while (sent < count)
            {
                sent += await socket.SendAsync(buffer.AsMemory(sent, count - sent));
            }

            remaining -= count;
        }

        socket.Shutdown(SocketShutdown.Send);
        return hash.GetHashAndReset();
    }

    /// <summary>Reads to EOF; returns the byte count and SHA-256 of everything read.</summary>
    public static async Task<(long Length, byte[] Hash)> ReceiveAsync(Socket socket)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[ChunkSize];
        long length = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer);
            if (n == 0)
            {
                return (length, hash.GetHashAndReset());
            }

            hash.AppendData(buffer, 0, n);
            length += n;
        }
    }

    private static void Fill(Span<byte> span, ref ulong state)
    {
        while (span.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(span, Next(ref state));
            span = span[8..];
        }

        if (!span.IsEmpty)
        {
            Span<byte> last = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(last, Next(ref state));
            last[..span.Length].CopyTo(span);
        }
    }

    private static ulong Next(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
