using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kubegate.Testing;

/// <summary>
/// A throwaway certificate authority (ECDSA P-256: key generation takes well under a millisecond, RSA-2048 tens of
/// milliseconds) issuing kube-apiserver-style server certificates and kube-user client certificates
/// (<c>CN=&lt;user&gt;, O=&lt;group&gt;</c>). Create two for "certificate from another CA" tests.
/// </summary>
/// <remarks>
/// Every certificate returned carries its private key and was round-tripped through PKCS#12, so its key is a
/// persisted, exportable key that <see cref="System.Net.Security.SslStream"/> (and Kestrel) can use on every platform;
/// a key attached with <c>CopyWithPrivateKey</c> alone is ephemeral, which SslStream rejects on Windows.
/// </remarks>
public sealed class TestCertificateAuthority : IDisposable
{
    /// <summary>The names every server certificate is valid for, as kube-apiserver's own certificate is.</summary>
    public static readonly IReadOnlyList<string> DefaultServerNames = ["127.0.0.1", "::1", "localhost", "kubernetes", "kubernetes.default"];

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "Server Authentication");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private readonly ECDsa _key;
    private readonly Lazy<X509Certificate2> _serverCertificate;

    private TestCertificateAuthority(string name, ECDsa key, X509Certificate2 certificate)
    {
        Name = name;
        _key = key;
        Certificate = certificate;
        _serverCertificate = new Lazy<X509Certificate2>(() => CreateServerCertificate());
    }

    /// <summary>The CA's common name.</summary>
    public string Name { get; }

    /// <summary>The self-signed CA certificate (with its private key).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>
    /// One server certificate for <see cref="DefaultServerNames"/>, created on first use and shared, so tests that
    /// start many apiservers do not issue one each.
    /// </summary>
    public X509Certificate2 ServerCertificate => _serverCertificate.Value;

    /// <summary>The CA certificate in PEM form (the content of <c>ca.crt</c>).</summary>
    public string CertificatePem => Certificate.ExportCertificatePem();

    /// <summary>Creates a new CA, valid from one day ago for ten years.</summary>
    public static TestCertificateAuthority Create(string name = "kubegate-test-ca")
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        var subjectKeyIdentifier = new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false);
        request.CertificateExtensions.Add(subjectKeyIdentifier);
        var now = DateTimeOffset.UtcNow;
        using var selfSigned = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        return new TestCertificateAuthority(name, key, Persist(selfSigned));
    }

    /// <summary>
    /// Issues a server certificate valid for <see cref="DefaultServerNames"/> plus <paramref name="extraNames"/>;
    /// each name that parses as an IP address becomes an IP SAN, any other a DNS SAN.
    /// </summary>
    /// <summary>
    /// Loads a CA written by <see cref="WriteCertificateAuthority"/> with <c>includeKey: true</c> (<c>ca.crt</c> and
    /// <c>ca.key</c> in <paramref name="directory"/>), so several processes can serve certificates of one CA.
    /// </summary>
    public static TestCertificateAuthority Load(string directory)
    {
        using var loaded = X509Certificate2.CreateFromPemFile(Path.Combine(directory, "ca.crt"), Path.Combine(directory, "ca.key"));
        var key = loaded.GetECDsaPrivateKey() ?? throw new InvalidOperationException($"{directory}/ca.key is not an ECDSA key");
        var name = loaded.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        return new TestCertificateAuthority(name, key, Persist(loaded));
    }

    /// <param name="extraNames">Names (DNS or IP) besides <see cref="DefaultServerNames"/>.</param>
    /// <param name="commonName">The subject's CN.</param>
    /// <param name="validFor">How long from now the certificate stays valid; default one year.</param>
    /// <param name="includeDefaultNames">False leaves out <see cref="DefaultServerNames"/>: only <paramref name="extraNames"/>.</param>
    public X509Certificate2 CreateServerCertificate(IEnumerable<string>? extraNames = null, string commonName = "kube-apiserver", TimeSpan? validFor = null, bool includeDefaultNames = true)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in (includeDefaultNames ? DefaultServerNames : []).Concat(extraNames ?? []).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        return Issue(new X500DistinguishedName($"CN={commonName}"), ServerAuth, san.Build(), validFor);
    }

    /// <summary>
    /// Issues a client certificate for kube user <paramref name="user"/> in <paramref name="groups"/>, with
    /// <see cref="X509Certificate.Subject"/> <c>CN=user, O=group1, O=group2</c>.
    /// </summary>
    /// <remarks>
    /// .NET prints a name's RDNs in encoded order, so CN is encoded first to read <c>CN=…, O=…</c>; kubeadm encodes O
    /// first (.NET would print <c>O=…, CN=…</c>). kube-apiserver reads CommonName and Organization by type, so the
    /// order changes nothing on the server side.
    /// </remarks>
    public X509Certificate2 CreateClientCertificate(string user, params string[] groups)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddCommonName(user);
        foreach (var group in groups)
        {
            subject.AddOrganizationName(group);
        }

        return Issue(subject.Build(), ClientAuth, subjectAlternativeNames: null);
    }

    /// <summary>Writes <c>ca.crt</c> (and <c>ca.key</c> when <paramref name="includeKey"/>) to <paramref name="directory"/>; returns the certificate's path.</summary>
    public string WriteCertificateAuthority(string directory, bool includeKey = false)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "ca.crt");
        File.WriteAllText(path, CertificatePem);
        if (includeKey)
        {
            WritePrivate(Path.Combine(directory, "ca.key"), _key.ExportPkcs8PrivateKeyPem());
        }

        return path;
    }

    /// <summary>Writes <c>&lt;name&gt;.crt</c> and <c>&lt;name&gt;.key</c> (PKCS#8 PEM, mode 0600) to <paramref name="directory"/>.</summary>
    public static CertificateFiles WriteCertificate(X509Certificate2 certificate, string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        Directory.CreateDirectory(directory);
        var files = new CertificateFiles(Path.Combine(directory, name + ".crt"), Path.Combine(directory, name + ".key"));
        File.WriteAllText(files.CertificatePath, certificate.ExportCertificatePem());
        WritePrivate(files.KeyPath, ExportPrivateKeyPem(certificate));
        return files;
    }

    /// <summary>The certificate's private key as PKCS#8 PEM (<c>-----BEGIN PRIVATE KEY-----</c>), which Go's tls.X509KeyPair accepts.</summary>
    public static string ExportPrivateKeyPem(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var ecdsa = certificate.GetECDsaPrivateKey();
        if (ecdsa is not null)
        {
            return ecdsa.ExportPkcs8PrivateKeyPem();
        }

        using var rsa = certificate.GetRSAPrivateKey()
            ?? throw new InvalidOperationException($"Certificate '{certificate.Subject}' has no exportable ECDSA or RSA private key.");
        return rsa.ExportPkcs8PrivateKeyPem();
    }

    public void Dispose()
    {
        if (_serverCertificate.IsValueCreated)
        {
            _serverCertificate.Value.Dispose();
        }

        Certificate.Dispose();
        _key.Dispose();
    }

    private X509Certificate2 Issue(X500DistinguishedName subject, Oid usage, X509Extension? subjectAlternativeNames, TimeSpan? validFor = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (subjectAlternativeNames is not null)
        {
            request.CertificateExtensions.Add(subjectAlternativeNames);
        }

        var now = DateTimeOffset.UtcNow;
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7F; // positive, as RFC 5280 requires

        using var publicOnly = request.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now.AddDays(-1), validFor is { } lifetime ? now + lifetime : now.AddYears(1), serial);
        using var withKey = publicOnly.CopyWithPrivateKey(key);
        return Persist(withKey);
    }

    private static X509Certificate2 Persist(X509Certificate2 certificate)
    {
        // See the remarks on the class: PKCS#12 round trip turns the ephemeral key into one SslStream accepts.
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        return X509CertificateLoader.LoadPkcs12(pfx, password: null, X509KeyStorageFlags.Exportable);
    }

    private static void WritePrivate(string path, string content)
    {
        File.WriteAllText(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
