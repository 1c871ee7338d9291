using System.Security.Cryptography.X509Certificates;

namespace Kubegate.Infrastructure;

/// <summary>
/// Verifies a server certificate against a configured CA only, as kube-apiserver clients do with the kubeconfig's
/// <c>certificate-authority</c>: the system trust store is not consulted, there is no revocation check and nothing
/// is downloaded (kubegate runs where the control plane's network may have no way out).
/// </summary>
internal static class CustomRootChain
{
    /// <summary>
    /// Builds the chain of <paramref name="leaf"/> to one of <paramref name="roots"/>, with the intermediates the
    /// server sent in <paramref name="presented"/> (kube-apiserver may serve leaf + intermediate). The caller owns the
    /// returned chain (its <c>ChainStatus</c> says why a build failed).
    /// </summary>
    public static X509Chain Build(X509Certificate2 leaf, X509Chain? presented, X509Certificate2Collection roots, out bool built)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        built = chain.Build(leaf);
        return chain;
    }
}
