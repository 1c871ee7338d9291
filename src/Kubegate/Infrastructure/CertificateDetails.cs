using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kubegate.Infrastructure;

/// <summary>What kubegate shows of one X.509 certificate: who it is for, who issued it, its names and its validity.</summary>
internal sealed record CertificateDetails(
    string Subject,
    string Issuer,
    string SerialNumber,
    IReadOnlyList<string> DnsNames,
    IReadOnlyList<string> IpAddresses,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter)
{
    /// <summary>Certificates expiring within this many days are warned about (dashboard, daily log, <c>--mode validate</c>).</summary>
    public const int WarningDays = 30;

    public static CertificateDetails From(X509Certificate2 certificate)
    {
        var dns = new List<string>();
        var ips = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                dns.AddRange(san.EnumerateDnsNames());
                ips.AddRange(san.EnumerateIPAddresses().Select(ip => ip.ToString()));
            }
        }

        return new CertificateDetails(
            certificate.Subject,
            certificate.Issuer,
            certificate.SerialNumber.ToLowerInvariant(),
            dns,
            ips,
            new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero));
    }

    /// <summary>Every certificate in a PEM file, in file order.</summary>
    /// <exception cref="IOException">The file cannot be read.</exception>
    /// <exception cref="CryptographicException">The file holds no valid PEM certificate.</exception>
    public static IReadOnlyList<CertificateDetails> FromPemFile(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        if (collection.Count == 0)
        {
            throw new CryptographicException("no PEM certificate in the file");
        }

        var result = collection.Select(From).ToList();
        foreach (var certificate in collection)
        {
            certificate.Dispose();
        }

        return result;
    }

    /// <summary>Whether the certificate is expired, or expires within <see cref="WarningDays"/>, at <paramref name="now"/>.</summary>
    public bool ExpiresSoon(DateTimeOffset now) => NotAfter - now < TimeSpan.FromDays(WarningDays);

    /// <summary>"expired 3 days ago (2026-01-01T00:00:00Z)" or "expires in 10 days (…)".</summary>
    public string DescribeExpiry(DateTimeOffset now)
    {
        var left = NotAfter - now;
        var when = NotAfter.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        return left < TimeSpan.Zero
            ? $"expired {Math.Floor(-left.TotalDays):0} day(s) ago ({when})"
            : $"expires in {Math.Floor(left.TotalDays):0} day(s) ({when})";
    }
}
