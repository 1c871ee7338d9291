using System.Net;

namespace Kubegate.Configuration;

/// <summary><c>address.socket_address</c>: an IP literal (v4 or v6) and a port. Hostnames are refused at load time.</summary>
internal sealed record SocketAddressConfig(IPAddress Address, int Port)
{
    public IPEndPoint ToEndPoint() => new(Address, Port);

    /// <summary>Envoy's text form: <c>1.2.3.4:80</c>, <c>[::1]:80</c>.</summary>
    public override string ToString() => ToEndPoint().ToString();

    /// <summary>Envoy's stat-name form of the address: <c>:</c> replaced by <c>_</c> (<c>0.0.0.0_6443</c>, <c>[__1]_6443</c>).</summary>
    public string StatName => ToString().Replace(':', '_');
}
