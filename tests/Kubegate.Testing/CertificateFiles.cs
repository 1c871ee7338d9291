namespace Kubegate.Testing;

/// <summary>Where <see cref="TestCertificateAuthority.WriteCertificate"/> put a certificate and its private key (PEM).</summary>
public sealed record CertificateFiles(string CertificatePath, string KeyPath);
