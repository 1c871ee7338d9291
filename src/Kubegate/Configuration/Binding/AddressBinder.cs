using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kubegate.Configuration.Binding;

/// <summary>Binds <c>envoy.config.core.v3.Address</c> / <c>SocketAddress</c>: IP literals and TCP ports only.</summary>
internal static class AddressBinder
{
    public const string ListenerIpFix = "a listener binds an IP literal: 0.0.0.0 (every IPv4 address), :: (every IPv6 address) or a local address such as 127.0.0.1";

    /// <summary>Reads an <c>Address</c> field; reports a missing <c>socket_address</c>. Null when absent or invalid.</summary>
    public static SocketAddressConfig? Bind(BindContext ctx, Field field, AddressUse use)
    {
        var address = MessageReader.Open(ctx, field, ProtoTypes.Address);
        if (address is null)
        {
            return null;
        }

        SocketAddressConfig? result = null;
        var socketAddress = address.Message("socket_address", ProtoTypes.SocketAddress);
        if (socketAddress is not null)
        {
            result = BindSocketAddress(ctx, socketAddress, use);
        }
        else if (!address.IsWritten("pipe") && !address.IsWritten("envoy_internal_address"))
        {
            address.Missing("socket_address", "write socket_address: {address: <ip>, port_value: <port>}");
        }

        address.Finish();
        return result;
    }

    public static SocketAddressConfig? BindSocketAddress(BindContext ctx, MessageReader m, AddressUse use)
    {
        var protocolField = m.Find("protocol");
        if (ProtoValues.Enum(ctx, protocolField, ProtoEnum.SocketProtocol) == 1)
        {
            ctx.Error(protocolField.Line, protocolField.Path, "kubegate proxies TCP only", "remove protocol: UDP (TCP is the default)");
        }

        var addressField = m.Find("address");
        var text = ProtoValues.String(ctx, addressField);
        var portField = m.Find("port_value");
        var port = ProtoValues.UInt32(ctx, portField, wrapper: false);
        m.Finish();

        IPAddress? ip = null;
        if (text is null)
        {
            if (!addressField.HasValue)
            {
                m.Missing("address", use == AddressUse.Endpoint ? "write address: <apiserver IP>" : "write address: 127.0.0.1 (or 0.0.0.0 for every interface)");
            }
        }
        else
        {
            ip = ParseIpLiteral(text);
            if (ip is null)
            {
                if (use == AddressUse.Endpoint)
                {
                    ctx.Error(
                        addressField.Line,
                        addressField.Path,
                        $"malformed IP address: {text}. Consider setting resolver_name or setting cluster type to 'STRICT_DNS' or 'LOGICAL_DNS'",
                        "kubegate needs IP literals (it does no DNS): write the apiserver's IP address, e.g. 192.168.1.19");
                }
                else
                {
                    ctx.Error(addressField.Line, addressField.Path, $"malformed IP address: {text}", ListenerIpFix);
                }
            }
        }

        if (port is > 65535)
        {
            ctx.Error(portField.Line, portField.Path, $"port_value must be at most 65535, found {port.Value.ToString(CultureInfo.InvariantCulture)}");
            return null;
        }

        if (port is null or 0)
        {
            switch (use)
            {
                case AddressUse.Endpoint:
                    if (port is null && !portField.HasValue)
                    {
                        m.Missing("port_value", "write port_value: 6443");
                    }
                    else if (port == 0)
                    {
                        ctx.Error(portField.Line, portField.Path, "an endpoint port must be between 1 and 65535", "write the apiserver port, e.g. port_value: 6443");
                    }

                    return null;
                case AddressUse.Listener when port == 0 || !portField.HasValue:
                    ctx.Warning(
                        portField.Line,
                        portField.Path,
                        "port 0 lets the OS pick a free port for this listener; clients can only find it through the admin /listeners page",
                        "write the port clients use, e.g. port_value: 6443");
                    break;
            }
        }

        return ip is null || (port is null && portField.HasValue) ? null : new SocketAddressConfig(ip, (int)(port ?? 0));
    }

    /// <summary>
    /// Parses an IP literal as strictly as <c>inet_pton</c> (Envoy's parser): dotted-quad IPv4 without leading zeros, or
    /// IPv6 without brackets or zone. <see cref="IPAddress.TryParse(string, out IPAddress)"/> alone would accept "10.1".
    /// </summary>
    public static IPAddress? ParseIpLiteral(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return !text.Contains('%', StringComparison.Ordinal) && !text.Contains('[', StringComparison.Ordinal)
                && IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6
                ? v6
                : null;
        }

        var parts = text.Split('.');
        if (parts.Length != 4)
        {
            return null;
        }

        var bytes = new byte[4];
        for (var i = 0; i < 4; i++)
        {
            var part = parts[i];
            if (part.Length is 0 or > 3 || (part.Length > 1 && part[0] == '0') || !part.All(char.IsAsciiDigit))
            {
                return null;
            }

            var value = int.Parse(part, CultureInfo.InvariantCulture);
            if (value > 255)
            {
                return null;
            }

            bytes[i] = (byte)value;
        }

        return new IPAddress(bytes);
    }
}
