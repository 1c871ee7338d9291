using System.Net;

namespace Kubegate.Configuration;

/// <summary>Envoy's <c>CidrRange</c>: <c>address_prefix</c> and <c>prefix_len</c>.</summary>
internal sealed record CidrRangeConfig(IPAddress Prefix, int PrefixLength)
{
    /// <summary>True when <paramref name="address"/> lies in the range (an IPv4-mapped IPv6 address counts as IPv4).</summary>
    public bool Contains(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6 && Prefix.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != Prefix.AddressFamily)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[16];
        Span<byte> p = stackalloc byte[16];
        _ = address.TryWriteBytes(a, out var length);
        _ = Prefix.TryWriteBytes(p, out _);
        var bits = Math.Min(PrefixLength, length * 8);
        var whole = bits / 8;
        if (!a[..whole].SequenceEqual(p[..whole]))
        {
            return false;
        }

        var rest = bits % 8;
        if (rest == 0)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - rest));
        return (a[whole] & mask) == (p[whole] & mask);
    }

    public override string ToString() => $"{Prefix}/{PrefixLength}";
}
