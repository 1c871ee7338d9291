using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Kubegate.Configuration;
using Kubegate.Infrastructure;

namespace Kubegate.Health.Active;

/// <summary>
/// The TLS side of health checks of one cluster, built once from the <c>UpstreamTlsContext</c> of the transport
/// socket the check selects: trusted CA, client certificate, SNI and ALPN. Verifies the apiserver's serving
/// certificate itself (custom root trust, no revocation checks), because the cluster CA is not in the system store.
/// </summary>
/// <remarks>
/// Verification follows Envoy: with a trusted CA the chain must end at it; without one (no
/// <c>validation_context.trusted_ca</c>) the certificate is not verified at all. On top of the chain, the name is
/// checked: against <c>match_typed_subject_alt_names</c> when given (Envoy), else against <c>sni</c>, else against an
/// explicitly configured Host (<c>http_health_check.host</c> or the endpoint's <c>health_check_config.hostname</c>).
/// Envoy checks names only with <c>match_typed_subject_alt_names</c>; checking the SNI too is kubegate's stricter
/// reading, and a certificate that does not cover the name clients use would fail those clients anyway.
/// </remarks>
internal sealed class HealthCheckTls : IDisposable
{
    private readonly X509Certificate2Collection _trustedRoots = [];
    private readonly X509Certificate2? _clientCertificate;
    private readonly SslStreamCertificateContext? _clientContext;
    private readonly CertificateDetails? _clientDetails;
    private readonly List<SslApplicationProtocol> _alpn = [];
    private readonly string[] _matchSubjectAltNames;

    private HealthCheckTls(UpstreamTlsContextConfig config, EquatableArray<string> healthCheckAlpn, CodecClientType? codec)
    {
        Sni = string.IsNullOrEmpty(config.Sni) ? null : config.Sni;
        _matchSubjectAltNames = [.. config.MatchSubjectAltNames];

        var caPem = config.TrustedCaPem ?? (config.TrustedCaFile is { } caFile ? File.ReadAllText(caFile) : null);
        if (caPem is not null)
        {
            _trustedRoots.ImportFromPem(caPem);
            if (_trustedRoots.Count == 0)
            {
                throw new InvalidDataException("the trusted CA holds no PEM certificate");
            }

            VerifiesChain = true;
        }

        var chainPem = config.CertificateChainPem ?? (config.CertificateChainFile is { } chainFile ? File.ReadAllText(chainFile) : null);
        var keyPem = config.PrivateKeyPem ?? (config.PrivateKeyFile is { } keyFile ? File.ReadAllText(keyFile) : null);
        if (chainPem is not null && keyPem is not null)
        {
            using var withKey = X509Certificate2.CreateFromPem(chainPem, keyPem);

            // A key attached from PEM is ephemeral; a PKCS#12 round trip gives one SslStream accepts on every platform.
            _clientCertificate = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
            var intermediates = new X509Certificate2Collection();
            intermediates.ImportFromPem(chainPem);
            var extra = new X509Certificate2Collection();
            foreach (var certificate in intermediates)
            {
                if (certificate.Thumbprint != _clientCertificate.Thumbprint)
                {
                    extra.Add(certificate);
                }
            }

            _clientContext = SslStreamCertificateContext.Create(_clientCertificate, extra, offline: true);
            _clientDetails = CertificateDetails.From(_clientCertificate);
        }

        // Envoy: tls_options.alpn_protocols of the check win; else the socket's own alpn_protocols. kubegate adds
        // one default Envoy does not need: an HTTP/2 check offers "h2", since an apiserver (Go's net/http, Kestrel)
        // speaks HTTP/2 over TLS only when ALPN selects it.
        IEnumerable<string> alpn = !healthCheckAlpn.IsEmpty ? healthCheckAlpn
            : !config.AlpnProtocols.IsEmpty ? config.AlpnProtocols
            : codec == CodecClientType.Http2 ? ["h2"]
            : [];
        foreach (var protocol in alpn)
        {
            _alpn.Add(new SslApplicationProtocol(protocol));
        }
    }

    /// <summary>The SNI sent; null sends none.</summary>
    public string? Sni { get; }

    /// <summary>True when a trusted CA is configured, so the server chain is verified.</summary>
    public bool VerifiesChain { get; }

    /// <summary>
    /// Builds the TLS settings; a CA or key that cannot be read or parsed gives <paramref name="error"/> and null, and
    /// every check then fails with that reason (the loader checked the files exist, but they may have changed since).
    /// </summary>
    public static HealthCheckTls? TryCreate(UpstreamTlsContextConfig config, EquatableArray<string> healthCheckAlpn, CodecClientType? codec, out string? error)
    {
        try
        {
            error = null;
            return new HealthCheckTls(config, healthCheckAlpn, codec);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException or InvalidDataException)
        {
            error = "TLS configuration: " + ex.Message;
            return null;
        }
    }

    /// <summary>
    /// Runs the client handshake over <paramref name="inner"/> and records the server certificate's expiry; throws
    /// <see cref="AuthenticationException"/> naming the verification problem when the certificate is refused.
    /// </summary>
    /// <param name="inner">The connected stream; owned by the returned stream (disposed on failure).</param>
    /// <param name="expectedName">The name the certificate must cover when no SNI or SAN list decides; null checks none.</param>
    /// <param name="info">Where the server certificate's expiry is recorded.</param>
    /// <param name="cancellationToken">Cancels the handshake (timeout).</param>
    public async Task<SslStream> AuthenticateAsync(Stream inner, string? expectedName, HostHealthInfo info, CancellationToken cancellationToken)
    {
        string? verificationError = null;
        var nameToCheck = Sni ?? expectedName;
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            // An empty target host sends no SNI; IP literals are never sent as SNI either.
            TargetHost = Sni ?? string.Empty,
            ApplicationProtocols = _alpn.Count > 0 ? _alpn : null,
            ClientCertificateContext = _clientContext,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                verificationError = Verify(certificate, chain, nameToCheck);
                return verificationError is null;
            },
        };

        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (AuthenticationException ex) when (verificationError is not null)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException("server certificate rejected: " + verificationError, ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (ssl.RemoteCertificate is X509Certificate2 remote)
        {
            info.RecordCertificate(CertificateDetails.From(remote), ssl.LocalCertificate is null ? null : _clientDetails);
        }

        return ssl;
    }

    /// <summary>
    /// The same settings for a <see cref="SocketsHttpHandler"/> that runs the handshake itself (HTTP/2 checks: the
    /// handler must know the connection is TLS to send <c>:scheme https</c>). The handler takes SNI from the request's
    /// authority and picks ALPN itself; verification and the client certificate stay kubegate's.
    /// </summary>
    public SslClientAuthenticationOptions CreateHandlerOptions(string? expectedName, HostHealthInfo info)
    {
        var nameToCheck = Sni ?? expectedName;
        return new SslClientAuthenticationOptions
        {
            ClientCertificateContext = _clientContext,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (certificate is X509Certificate2 remote)
                {
                    info.RecordCertificate(CertificateDetails.From(remote), _clientDetails);
                }

                var error = Verify(certificate, chain, nameToCheck);
                return error is null ? true : throw new AuthenticationException("server certificate rejected: " + error);
            },
        };
    }

    public void Dispose()
    {
        _clientCertificate?.Dispose();
        foreach (var root in _trustedRoots)
        {
            root.Dispose();
        }
    }

    /// <summary>Null when the certificate is accepted, else why not.</summary>
    internal string? Verify(X509Certificate? certificate, X509Chain? presented, string? expectedName)
    {
        if (certificate is null)
        {
            return "the server sent no certificate";
        }

        if (!VerifiesChain)
        {
            return null;
        }

        using var copy = certificate as X509Certificate2 is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        var leaf = copy ?? (X509Certificate2)certificate;
        using var chain = CustomRootChain.Build(leaf, presented, _trustedRoots, out var built);
        if (!built)
        {
            var statuses = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
            return $"'{leaf.Subject}' does not chain to the trusted CA ({string.Join(", ", statuses)})";
        }

        if (_matchSubjectAltNames.Length > 0)
        {
            var names = SubjectAltNames(leaf);
            return _matchSubjectAltNames.Any(m => names.Contains(m, StringComparer.OrdinalIgnoreCase))
                ? null
                : $"'{leaf.Subject}' has none of the subject alt names {string.Join(", ", _matchSubjectAltNames)}";
        }

        if (expectedName is not null && !leaf.MatchesHostname(expectedName, allowWildcards: true, allowCommonName: false))
        {
            return $"'{leaf.Subject}' is not valid for '{expectedName}'";
        }

        return null;
    }

    private static List<string> SubjectAltNames(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(static (IPAddress a) => a.ToString()));
            }
        }

        return names;
    }
}
