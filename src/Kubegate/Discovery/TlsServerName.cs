using System.Net;

namespace Kubegate.Discovery;

/// <summary>
/// Picks the <c>tls-server-name</c> for a kubeconfig that reaches an apiserver through kubegate: a DNS name the
/// apiserver's certificate carries, so kubectl's verification passes whatever address it dials. A DNS name (not an
/// IP address) also works as SNI, which a listener can route on.
/// </summary>
internal static class TlsServerName
{
    /// <summary>The names kube-apiserver certificates always carry (kubeadm, k3s, RKE2 add them), best first.</summary>
    private static readonly string[] Conventional = ["kubernetes", "kubernetes.default", "kubernetes.default.svc"];

    /// <summary>
    /// The first of: the kubeconfig's own <c>tls-server-name</c>, the host of its server URL, the conventional
    /// in-cluster names, then the certificate's first DNS name, that the certificate covers. Null when it has no DNS
    /// name at all.
    /// </summary>
    public static string? Choose(IReadOnlyList<string> certificateDnsNames, string? existing, string? serverHost)
    {
        var candidates = new List<string>();
        if (!string.IsNullOrEmpty(existing))
        {
            candidates.Add(existing);
        }

        if (!string.IsNullOrEmpty(serverHost) && !IPAddress.TryParse(serverHost.Trim('[', ']'), out _))
        {
            candidates.Add(serverHost);
        }

        candidates.AddRange(Conventional);
        candidates.AddRange(certificateDnsNames.Where(n => !n.StartsWith("*.", StringComparison.Ordinal)));
        return candidates.FirstOrDefault(name => Covers(certificateDnsNames, name));
    }

    /// <summary>RFC 6125 matching as Go's crypto/tls does it: exact (case-insensitive), or a wildcard for exactly the leftmost label.</summary>
    public static bool Covers(IReadOnlyList<string> certificateDnsNames, string name)
    {
        foreach (var pattern in certificateDnsNames)
        {
            if (string.Equals(pattern, name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                var dot = name.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && string.Equals(pattern[1..], name[dot..], StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
