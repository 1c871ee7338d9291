using System.Net;

namespace Kubegate.Discovery;

/// <summary>The apiserver addresses in <c>default/kubernetes</c> EndpointSlices or its Endpoints object.</summary>
internal static class ApiServerEndpoints
{
    /// <summary>
    /// Every ready address of every slice (or subset), with the slice's <c>https</c> port (else its first TCP port),
    /// distinct and sorted. A slice of FQDN addresses or without a port adds nothing: kubegate does no DNS. An
    /// endpoint whose <c>ready</c> condition is unset counts as ready, as the EndpointSlice API defines it.
    /// </summary>
    public static IReadOnlyList<IPEndPoint> From(IEnumerable<KubeObject> objects)
    {
        var result = new HashSet<IPEndPoint>();
        foreach (var item in objects)
        {
            if (item.Subsets is { } subsets)
            {
                foreach (var subset in subsets)
                {
                    if (Port(subset.Ports) is not { } port)
                    {
                        continue;
                    }

                    foreach (var address in subset.Addresses ?? [])
                    {
                        if (IPAddress.TryParse(address.Ip, out var ip))
                        {
                            result.Add(new IPEndPoint(ip, port));
                        }
                    }
                }

                continue;
            }

            if (item.AddressType is not ("IPv4" or "IPv6") || Port(item.Ports) is not { } slicePort)
            {
                continue;
            }

            foreach (var endpoint in item.Endpoints ?? [])
            {
                if (endpoint.Conditions?.Ready == false)
                {
                    continue;
                }

                foreach (var address in endpoint.Addresses ?? [])
                {
                    if (IPAddress.TryParse(address, out var ip))
                    {
                        result.Add(new IPEndPoint(ip, slicePort));
                    }
                }
            }
        }

        return [.. result.OrderBy(e => e.Address.AddressFamily).ThenBy(e => e.Address.ToString(), StringComparer.Ordinal).ThenBy(e => e.Port)];
    }

    private static int? Port(List<KubePort>? ports)
    {
        if (ports is null)
        {
            return null;
        }

        var https = ports.FirstOrDefault(p => p.Name == "https" && p.Port is > 0 and < 65536);
        var first = ports.FirstOrDefault(p => p.Protocol is null or "TCP" && p.Port is > 0 and < 65536);
        return (https ?? first)?.Port;
    }
}
