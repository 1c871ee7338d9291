using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Kubegate.Proxy.Reactors;

/// <summary>
/// A <c>sockaddr_in</c> or <c>sockaddr_in6</c> held inline (28 bytes), so accept4 and connect need no allocation;
/// an <see cref="IPEndPoint"/> is made from it only when something asks (access log, admin, tests).
/// </summary>
internal struct SocketAddressBuffer
{
    /// <summary><c>sizeof(struct sockaddr_in6)</c>, the larger of the two.</summary>
    public const int Size = 28;

    private const int Inet4Length = 16;

    private Storage _storage;

    /// <summary>How many bytes of <see cref="Bytes"/> the address uses.</summary>
    public int Length { get; private set; }

    [UnscopedRef]
    public Span<byte> Bytes => _storage;

    public bool IsEmpty => Native.FamilyOf(_storage) == 0;

    public static SocketAddressBuffer From(IPEndPoint endPoint)
    {
        var address = default(SocketAddressBuffer);
        Span<byte> bytes = address._storage;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[2..], (ushort)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            BitConverter.TryWriteBytes(bytes, Native.Inet6Family);
            endPoint.Address.TryWriteBytes(bytes.Slice(8, 16), out _);
            BitConverter.TryWriteBytes(bytes[24..], (uint)endPoint.Address.ScopeId);
            address.Length = Size;
        }
        else
        {
            BitConverter.TryWriteBytes(bytes, Native.InetFamily);
            endPoint.Address.TryWriteBytes(bytes.Slice(4, 4), out _);
            address.Length = Inet4Length;
        }

        return address;
    }

    /// <summary>True when both hold the same family, port and address (a socket's own address against its peer's).</summary>
    public readonly bool SameAs(in SocketAddressBuffer other)
    {
        ReadOnlySpan<byte> mine = _storage;
        ReadOnlySpan<byte> theirs = other._storage;
        var family = Native.FamilyOf(mine);
        if (family != Native.FamilyOf(theirs) || !mine.Slice(2, 2).SequenceEqual(theirs.Slice(2, 2)))
        {
            return false;
        }

        return Native.IsInet(family) ? mine.Slice(4, 4).SequenceEqual(theirs.Slice(4, 4))
            : Native.IsInet6(family) && mine.Slice(8, 16).SequenceEqual(theirs.Slice(8, 16));
    }

    /// <summary>The address as an <see cref="IPEndPoint"/> (allocates); null when empty or not IP.</summary>
    public readonly IPEndPoint? ToEndPoint()
    {
        ReadOnlySpan<byte> bytes = _storage;
        var family = Native.FamilyOf(bytes);
        var port = BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]);
        if (Native.IsInet(family))
        {
            return new IPEndPoint(new IPAddress(bytes.Slice(4, 4)), port);
        }

        if (Native.IsInet6(family))
        {
            return new IPEndPoint(new IPAddress(bytes.Slice(8, 16), BitConverter.ToUInt32(bytes[24..])), port);
        }

        return null;
    }

    [InlineArray(Size)]
    private struct Storage
    {
        private byte _element;
    }
}
