using System.Security.Cryptography.X509Certificates;

namespace Kubegate.Soak.Load;

/// <summary>kubegate's api listener as the HTTPS clients see it: its URL and the CA the apiservers' certificate chains to.</summary>
internal sealed record ApiTarget(Uri BaseAddress, X509Certificate2 Ca)
{
    public Uri Namespaces => new(BaseAddress, "/api/v1/namespaces");

    public Uri NamespacesWatch => new(BaseAddress, "/api/v1/namespaces?watch=true");
}
