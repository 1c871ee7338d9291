using Kubegate.AccessLog.Tls;

namespace Kubegate.Fuzzing;

/// <summary>
/// The ClientHello reader on the first bytes of a connection. The property, for every input: it never throws; a server
/// name comes only with <see cref="ClientHelloParseResult.Complete"/> and is a non-empty printable-ASCII host name; and
/// its verdicts are final as the connection delivers more bytes: <c>Complete</c> (with the same name) and
/// <c>NotTls</c> stay so when more bytes follow, so every prefix of a <c>NeedMoreData</c> input needs more data too,
/// and no prefix of a <c>Complete</c> input is <c>NotTls</c>.
/// </summary>
internal sealed class ClientHelloTarget : FuzzTarget
{
    // Bytes a client could send after its ClientHello (a record header and zeros): they must not change a verdict.
    private static readonly byte[] Trailer = [0x16, 0x03, 0x03, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0];

    public ClientHelloTarget()
        : base("client-hello", "TLS ClientHello SNI reader (access log %REQUESTED_SERVER_NAME%)")
    {
    }

    public override void Check(ReadOnlySpan<byte> input, FuzzWorkspace workspace)
    {
        var result = Parse(input, out var name);
        switch (result)
        {
            case ClientHelloParseResult.Complete or ClientHelloParseResult.NotTls:
            {
                var extended = new byte[input.Length + Trailer.Length];
                input.CopyTo(extended);
                Trailer.CopyTo(extended.AsSpan(input.Length));
                var later = Parse(extended, out var laterName);
                FuzzPropertyException.Require(later == result && laterName == name, $"{result} ('{name}') became {later} ('{laterName}') when more bytes arrived");
                break;
            }

            case ClientHelloParseResult.NeedMoreData:
                break;
            default:
                throw new FuzzPropertyException($"unknown result {result}");
        }

        // Prefixes: the last byte missing, and half of the input.
        foreach (var length in new[] { input.Length - 1, input.Length / 2 })
        {
            if (length < 0 || length >= input.Length)
            {
                continue;
            }

            var earlier = Parse(input[..length], out _);
            FuzzPropertyException.Require(
                result != ClientHelloParseResult.NeedMoreData || earlier == ClientHelloParseResult.NeedMoreData,
                $"a {length}-byte prefix gave {earlier} but the whole input needs more data");
            FuzzPropertyException.Require(
                result != ClientHelloParseResult.Complete || earlier != ClientHelloParseResult.NotTls,
                $"a {length}-byte prefix of a complete ClientHello was judged not TLS");
        }
    }

    private static ClientHelloParseResult Parse(ReadOnlySpan<byte> data, out string? name)
    {
        var result = TlsClientHello.TryGetServerName(data, out name);

        // The filter-chain path also reads ALPN: whatever it accepts, the SNI-only path accepts with the same name.
        var withAlpn = TlsClientHello.TryParse(data, wantAlpn: true, out var alpnName, out var alpn);
        FuzzPropertyException.Require(alpn is null || withAlpn == ClientHelloParseResult.Complete, $"ALPN came with {withAlpn}");
        FuzzPropertyException.Require(alpn is null || alpn.All(p => p.Length is > 0 and < 256), "an empty or oversized ALPN name");
        FuzzPropertyException.Require(
            withAlpn != ClientHelloParseResult.Complete || (result == ClientHelloParseResult.Complete && alpnName == name),
            $"with ALPN: {withAlpn} '{alpnName}', without: {result} '{name}'");
        if (name is not null)
        {
            FuzzPropertyException.Require(result == ClientHelloParseResult.Complete, $"a server name came with {result}");
            FuzzPropertyException.Require(name.Length is > 0 and <= ushort.MaxValue, $"server name of length {name.Length}");
            FuzzPropertyException.Require(name.All(c => c is > ' ' and < '\u007f'), $"server name '{name}' is not printable ASCII");
        }

        return result;
    }
}
