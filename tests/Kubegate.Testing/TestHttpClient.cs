using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Kubegate.Testing;

/// <summary>
/// HttpClients for talking to a <see cref="FakeApiServer"/> (directly or through kubegate) the way kubectl does:
/// trusting only the test CA, optionally presenting a client certificate, offering h2 and http/1.1 through ALPN.
/// </summary>
public static class TestHttpClient
{
    /// <summary>Creates a client; dispose it to close its connections.</summary>
    /// <param name="trustedCertificateAuthority">The only CA the server certificate may chain to (host name checked as usual).</param>
    /// <param name="clientCertificate">Presented when the server asks, or <see langword="null"/> for an anonymous client.</param>
    /// <param name="version">The HTTP version to ask for. Default HTTP/2.</param>
    /// <param name="versionPolicy">Default <see cref="HttpVersionPolicy.RequestVersionOrLower"/>: ALPN offers h2 and http/1.1, as kubectl does.</param>
    /// <param name="timeout">The whole-request timeout. Default <see cref="TaskExtensions.DefaultTimeoutValue"/>.</param>
    public static HttpClient Create(
        X509Certificate2 trustedCertificateAuthority,
        X509Certificate2? clientCertificate = null,
        Version? version = null,
        HttpVersionPolicy versionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(trustedCertificateAuthority);
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(5),
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    certificate is not null
                    && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0
                    && ChainsTo(new X509Certificate2(certificate), trustedCertificateAuthority),

                // Answer the server's certificate request with this certificate whatever CA list it sends (Kestrel's
                // AllowCertificate sends none, and SslStream's default selection would then send nothing).
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            },
        };
        return new HttpClient(handler)
        {
            DefaultRequestVersion = version ?? HttpVersion.Version20,
            DefaultVersionPolicy = versionPolicy,
            Timeout = timeout ?? TaskExtensions.DefaultTimeoutValue,
        };
    }

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="authority"/> alone (no system roots, no revocation check).</summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 authority)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
