using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Kubegate.Configuration;
using Kubegate.Infrastructure;

namespace Kubegate.Discovery;

/// <summary>
/// What discovery presents to and trusts from the apiserver: the CA, the client certificate with its key, or a
/// bearer token; read from the kubeconfig or the files the discovery config names. Read again at every (re)connect
/// round, so rotated files are picked up without a reload.
/// </summary>
internal sealed class ApiServerCredentials : IDisposable
{
    private ApiServerCredentials(X509Certificate2Collection roots, X509Certificate2? client, string? token)
    {
        Roots = roots;
        ClientCertificate = client;
        ClientContext = client is null ? null : SslStreamCertificateContext.Create(client, null, offline: true);
        Token = token;
    }

    public X509Certificate2Collection Roots { get; }

    public X509Certificate2? ClientCertificate { get; }

    public SslStreamCertificateContext? ClientContext { get; }

    public string? Token { get; }

    /// <exception cref="KubeconfigException">The kubeconfig cannot be used.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A certificate or key is not valid PEM.</exception>
    public static ApiServerCredentials Load(DiscoveryConfig config)
    {
        string? caPem, certificatePem, keyPem, token = null;
        if (config.KubeconfigFile is { } kubeconfig)
        {
            var context = KubeconfigFile.Load(kubeconfig).Resolve(config.KubeconfigContext);
            caPem = context.CertificateAuthorityPem;
            certificatePem = context.ClientCertificatePem;
            keyPem = context.ClientKeyPem;
            token = context.Token;
        }
        else
        {
            caPem = config.CaFile is { } ca ? File.ReadAllText(ca) : null;
            certificatePem = config.CertificateFile is { } certificate ? File.ReadAllText(certificate) : null;
            keyPem = config.PrivateKeyFile is { } key ? File.ReadAllText(key) : null;
        }

        var roots = new X509Certificate2Collection();
        if (caPem is not null)
        {
            roots.ImportFromPem(caPem);
        }

        X509Certificate2? client = null;
        if (certificatePem is not null && keyPem is not null)
        {
            // An ephemeral PEM key cannot be used by SslStream on every platform; a PKCS#12 round trip makes it usable.
            using var withKey = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            client = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
        }

        return new ApiServerCredentials(roots, client, token);
    }

    /// <summary>
    /// The apiserver's certificate is good when it carries the expected name and chains to the configured CA (or,
    /// without one, to the system's roots), as client-go checks it.
    /// </summary>
    public bool Verify(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        if (Roots.Count == 0)
        {
            return errors == SslPolicyErrors.None;
        }

        using var copy = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        using var chain = CustomRootChain.Build(copy ?? (X509Certificate2)certificate, presented, Roots, out var built);
        return built;
    }

    public void Dispose()
    {
        ClientCertificate?.Dispose();
        foreach (var root in Roots)
        {
            root.Dispose();
        }
    }
}
