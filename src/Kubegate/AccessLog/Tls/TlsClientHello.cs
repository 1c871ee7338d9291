using System.Buffers;
using System.Buffers.Binary;

namespace Kubegate.AccessLog.Tls;

/// <summary>Outcome of looking for the SNI in the first bytes of a connection.</summary>
internal enum ClientHelloParseResult
{
    /// <summary>A whole ClientHello was parsed; the server name is set when the client sent one.</summary>
    Complete,

    /// <summary>The bytes so far start like a TLS ClientHello but end before it does: read more and try again.</summary>
    NeedMoreData,

    /// <summary>Not a TLS ClientHello (or malformed): stop looking.</summary>
    NotTls,
}

/// <summary>
/// Reads the server_name extension of a TLS ClientHello without terminating TLS (what Envoy's tls_inspector
/// gives <c>%REQUESTED_SERVER_NAME%</c>). Never throws; allocates only the returned string.
/// </summary>
internal static class TlsClientHello
{
    private const byte HandshakeRecord = 22;
    private const byte ClientHelloType = 1;
    private const ushort ServerNameExtension = 0;
    private const int MaxHandshakeLength = 64 * 1024;

    private const ushort AlpnExtension = 16;

    public static ClientHelloParseResult TryGetServerName(ReadOnlySpan<byte> data, out string? serverName) =>
        TryParse(data, wantAlpn: false, out serverName, out _);

    /// <summary>
    /// As <see cref="TryGetServerName"/>, and with <paramref name="wantAlpn"/> also the ALPN protocol names
    /// (<paramref name="alpn"/>, null when the client offered none): what Envoy's tls_inspector gives filter-chain
    /// matching.
    /// </summary>
    public static ClientHelloParseResult TryParse(ReadOnlySpan<byte> data, bool wantAlpn, out string? serverName, out string[]? alpn)
    {
        serverName = null;
        alpn = null;

        // Handshake messages may be fragmented over several records: find the handshake length from the first record
        // and collect fragments until the whole message is present.
        if (data.Length < 5)
        {
            return LooksLikeTlsPrefix(data) ? ClientHelloParseResult.NeedMoreData : ClientHelloParseResult.NotTls;
        }

        if (!IsHandshakeHeader(data))
        {
            return ClientHelloParseResult.NotTls;
        }

        var firstLength = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
        if (firstLength == 0 || firstLength > 16384 + 2048)
        {
            return ClientHelloParseResult.NotTls;
        }

        var first = data.Slice(5, Math.Min(firstLength, data.Length - 5));
        if (first.Length < 4)
        {
            return first.Length > 0 && first[0] != ClientHelloType ? ClientHelloParseResult.NotTls : ClientHelloParseResult.NeedMoreData;
        }

        if (first[0] != ClientHelloType)
        {
            return ClientHelloParseResult.NotTls;
        }

        var bodyLength = (first[1] << 16) | (first[2] << 8) | first[3];
        var total = bodyLength + 4;
        if (bodyLength < 38 || total > MaxHandshakeLength)
        {
            return ClientHelloParseResult.NotTls;
        }

        if (firstLength >= total)
        {
            // The common case: the whole ClientHello is in the first record.
            return data.Length - 5 >= total ? Parse(data.Slice(9, bodyLength), wantAlpn, out serverName, out alpn) : ClientHelloParseResult.NeedMoreData;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            var collected = 0;
            var offset = 0;
            while (collected < total)
            {
                if (data.Length - offset < 5)
                {
                    return data.Length == offset || LooksLikeTlsPrefix(data[offset..]) ? ClientHelloParseResult.NeedMoreData : ClientHelloParseResult.NotTls;
                }

                if (!IsHandshakeHeader(data[offset..]))
                {
                    return ClientHelloParseResult.NotTls;
                }

                var length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 3)..]);
                if (length == 0)
                {
                    return ClientHelloParseResult.NotTls;
                }

                var available = Math.Min(length, data.Length - offset - 5);
                var take = Math.Min(available, total - collected);
                data.Slice(offset + 5, take).CopyTo(buffer.AsSpan(collected));
                collected += take;
                if (available < length && collected < total)
                {
                    return ClientHelloParseResult.NeedMoreData;
                }

                offset += 5 + length;
            }

            return Parse(buffer.AsSpan(4, bodyLength), wantAlpn, out serverName, out alpn);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsHandshakeHeader(ReadOnlySpan<byte> data) => data[0] == HandshakeRecord && data[1] == 3 && data[2] <= 4;

    private static bool LooksLikeTlsPrefix(ReadOnlySpan<byte> data) =>
        (data.Length < 1 || data[0] == HandshakeRecord) && (data.Length < 2 || data[1] == 3) && (data.Length < 3 || data[2] <= 4);

    /// <summary>Parses a complete ClientHello body (after the 4-byte handshake header).</summary>
    private static ClientHelloParseResult Parse(ReadOnlySpan<byte> body, bool wantAlpn, out string? serverName, out string[]? alpn)
    {
        serverName = null;
        alpn = null;
        var reader = new Reader(body);

        // client_version (2) + random (32), session_id<0..32>, cipher_suites<2..2^16-2>, compression_methods<1..2^8-1>
        if (!reader.Skip(34) || !reader.SkipVector8() || !reader.SkipVector16() || !reader.SkipVector8())
        {
            return ClientHelloParseResult.NotTls;
        }

        if (reader.Remaining == 0)
        {
            return ClientHelloParseResult.Complete; // no extensions at all
        }

        if (!reader.ReadVector16(out var extensions))
        {
            return ClientHelloParseResult.NotTls;
        }

        var ext = new Reader(extensions);
        var sniSeen = false;
        while (ext.Remaining > 0)
        {
            if (!ext.ReadUInt16(out var type) || !ext.ReadVector16(out var extension))
            {
                return ClientHelloParseResult.NotTls;
            }

            if (type == ServerNameExtension && !sniSeen)
            {
                sniSeen = true;
                if (!ReadServerName(extension, out serverName))
                {
                    return ClientHelloParseResult.NotTls;
                }
            }
            else if (type == AlpnExtension && wantAlpn && alpn is null)
            {
                if (!ReadProtocols(extension, out alpn))
                {
                    return ClientHelloParseResult.NotTls;
                }
            }
            else
            {
                continue;
            }

            if (sniSeen && (!wantAlpn || alpn is not null))
            {
                break;
            }
        }

        return ClientHelloParseResult.Complete;
    }

    private static bool ReadServerName(ReadOnlySpan<byte> extension, out string? serverName)
    {
        serverName = null;
        var sni = new Reader(extension);
        if (!sni.ReadVector16(out var list))
        {
            return false;
        }

        var names = new Reader(list);
        while (names.Remaining > 0)
        {
            if (!names.ReadByte(out var nameType) || !names.ReadVector16(out var name))
            {
                return false;
            }

            if (nameType == 0 && name.Length > 0 && IsHostName(name))
            {
                serverName = System.Text.Encoding.ASCII.GetString(name);
                return true;
            }
        }

        return true;
    }

    /// <summary>ProtocolNameList (RFC 7301): a 16-bit length, then names each with an 8-bit length.</summary>
    private static bool ReadProtocols(ReadOnlySpan<byte> extension, out string[]? protocols)
    {
        protocols = null;
        var outer = new Reader(extension);
        if (!outer.ReadVector16(out var list))
        {
            return false;
        }

        var count = 0;
        var counter = new Reader(list);
        while (counter.Remaining > 0)
        {
            if (!counter.ReadByte(out var length) || length == 0 || !counter.Skip(length))
            {
                return false;
            }

            count++;
        }

        if (count == 0)
        {
            return true;
        }

        var result = new string[count];
        var names = new Reader(list);
        for (var i = 0; i < count; i++)
        {
            _ = names.ReadByte(out var length);
            result[i] = System.Text.Encoding.ASCII.GetString(names.Take(length));
        }

        protocols = result;
        return true;
    }

    private static bool IsHostName(ReadOnlySpan<byte> name)
    {
        foreach (var b in name)
        {
            if (b is <= 0x20 or >= 0x7f)
            {
                return false;
            }
        }

        return true;
    }

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _data = data;

        public readonly int Remaining => _data.Length;

        public bool Skip(int count)
        {
            if (_data.Length < count)
            {
                return false;
            }

            _data = _data[count..];
            return true;
        }

        public bool ReadByte(out byte value)
        {
            value = 0;
            if (_data.Length < 1)
            {
                return false;
            }

            value = _data[0];
            _data = _data[1..];
            return true;
        }

        public bool ReadUInt16(out ushort value)
        {
            value = 0;
            if (_data.Length < 2)
            {
                return false;
            }

            value = BinaryPrimitives.ReadUInt16BigEndian(_data);
            _data = _data[2..];
            return true;
        }

        public ReadOnlySpan<byte> Take(int count)
        {
            var taken = _data[..count];
            _data = _data[count..];
            return taken;
        }

        public bool SkipVector8() => ReadByte(out var length) && Skip(length);

        public bool SkipVector16() => ReadVector16(out _);

        public bool ReadVector16(out ReadOnlySpan<byte> value)
        {
            value = default;
            if (!ReadUInt16(out var length) || _data.Length < length)
            {
                return false;
            }

            value = _data[..length];
            _data = _data[length..];
            return true;
        }
    }
}
