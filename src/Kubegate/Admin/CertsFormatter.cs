using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;
using Kubegate.Infrastructure;

namespace Kubegate.Admin;

/// <summary>The certificates one TLS health check of a host saw: the apiserver's, and the client certificate kubegate presented.</summary>
internal sealed record CertView(string Cluster, string Host, CertificateDetails Server, CertificateDetails? Client);

/// <summary>A certificate file the configuration names, as read now; <paramref name="Error"/> when it cannot be read.</summary>
internal sealed record CertFileView(ConfiguredCertificateFile File, IReadOnlyList<CertificateDetails> Certificates, string? Error);

/// <summary>
/// <c>/certs</c> in Envoy's shape, <c>{"certificates":[{"ca_cert":[…],"cert_chain":[…]}]}</c>, each certificate
/// with Envoy's <c>path</c>, <c>serial_number</c>, <c>subject_alt_names</c>, <c>days_until_expiration</c>,
/// <c>valid_from</c>, <c>expiration_time</c> (plus <c>subject</c> and <c>issuer</c>). First one entry per cluster
/// whose configuration names certificate files (as Envoy lists its TLS contexts), then the upstream certificates
/// kubegate added: one entry per host a TLS health check reached (<c>cluster</c>, <c>host</c>), the apiserver's
/// serving certificate in <c>cert_chain</c> and the client certificate kubegate presented in
/// <c>client_cert_chain</c>. kubegate holds no certificate of its own for traffic: TLS passes through.
/// </summary>
internal static class CertsFormatter
{
    public static IReadOnlyList<CertView> Collect(IEnumerable<ClusterState> clusters)
    {
        var result = new List<CertView>();
        foreach (var cluster in clusters)
        {
            foreach (var host in cluster.AllHosts.Hosts)
            {
                if (HostHealthInfo.TryGet(host) is { ServerCertificate: { } server } info)
                {
                    result.Add(new CertView(cluster.Name, host.AddressText, server, info.ClientCertificate));
                }
            }
        }

        return result;
    }

    /// <summary>Reads every certificate file <paramref name="snapshot"/> names (a few small files; read at each request so a renewed file shows at once).</summary>
    public static IReadOnlyList<CertFileView> CollectFiles(ConfigSnapshot snapshot)
    {
        var result = new List<CertFileView>();
        foreach (var file in ConfiguredCertificateFile.Of(snapshot))
        {
            try
            {
                result.Add(new CertFileView(file, CertificateDetails.FromPemFile(file.Path), null));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                result.Add(new CertFileView(file, [], ex.Message));
            }
        }

        return result;
    }

    public static string FormatJson(IReadOnlyList<CertView> certs, DateTimeOffset now) => FormatJson(certs, [], now);

    public static string FormatJson(IReadOnlyList<CertView> certs, IReadOnlyList<CertFileView> files, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("certificates");
            foreach (var group in files.GroupBy(f => f.File.Cluster))
            {
                json.WriteStartObject();
                json.WriteString("cluster", group.Key);
                json.WriteStartArray("ca_cert");
                foreach (var file in group.Where(f => f.File.IsCa))
                {
                    WriteFile(json, file, now);
                }

                json.WriteEndArray();
                json.WriteStartArray("cert_chain");
                foreach (var file in group.Where(f => !f.File.IsCa))
                {
                    WriteFile(json, file, now);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            foreach (var cert in certs)
            {
                json.WriteStartObject();
                json.WriteString("cluster", cert.Cluster);
                json.WriteString("host", cert.Host);
                json.WriteStartArray("ca_cert");
                json.WriteEndArray();
                json.WriteStartArray("cert_chain");
                WriteDetails(json, cert.Server, null, now);
                json.WriteEndArray();
                json.WriteStartArray("client_cert_chain");
                if (cert.Client is { } client)
                {
                    WriteDetails(json, client, null, now);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// <c>kubegate_certificate_expiration_seconds</c>: seconds until each certificate expires (negative once expired),
    /// per endpoint (<c>certificate="server"</c> or <c>"client"</c>) and per configured file (<c>"ca"</c> or
    /// <c>"file"</c>; a bundle counts by its first certificate to expire), appended to <c>/stats/prometheus</c>.
    /// </summary>
    public static string FormatPrometheus(IReadOnlyList<CertView> certs, IReadOnlyList<CertFileView> files, DateTimeOffset now)
    {
        if (certs.Count == 0 && files.All(f => f.Certificates.Count == 0))
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        text.Append("# HELP kubegate_certificate_expiration_seconds Seconds until the certificate expires (negative once expired).\n");
        text.Append("# TYPE kubegate_certificate_expiration_seconds gauge\n");
        foreach (var cert in certs)
        {
            Line(text, $"cluster=\"{Escape(cert.Cluster)}\",host=\"{Escape(cert.Host)}\",certificate=\"server\"", cert.Server.NotAfter, now);
            if (cert.Client is { } client)
            {
                Line(text, $"cluster=\"{Escape(cert.Cluster)}\",host=\"{Escape(cert.Host)}\",certificate=\"client\"", client.NotAfter, now);
            }
        }

        foreach (var file in files.Where(f => f.Certificates.Count > 0).DistinctBy(f => (f.File.Path, f.File.IsCa)))
        {
            Line(text, $"path=\"{Escape(file.File.Path)}\",certificate=\"{(file.File.IsCa ? "ca" : "file")}\"", file.Certificates.Min(c => c.NotAfter), now);
        }

        return text.ToString();

        static void Line(StringBuilder text, string labels, DateTimeOffset notAfter, DateTimeOffset now) =>
            text.Append("kubegate_certificate_expiration_seconds{").Append(labels).Append("} ")
                .Append(Math.Floor((notAfter - now).TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append('\n');
    }

    /// <summary>Every certificate that is expired or expires within 30 days, as one sentence each.</summary>
    public static IReadOnlyList<string> Warnings(IReadOnlyList<CertView> certs, IReadOnlyList<CertFileView> files, DateTimeOffset now)
    {
        var result = new List<string>();
        foreach (var cert in certs)
        {
            if (cert.Server.ExpiresSoon(now))
            {
                result.Add($"cluster {cert.Cluster}: the certificate of apiserver {cert.Host} ({cert.Server.Subject}) {cert.Server.DescribeExpiry(now)}");
            }

            if (cert.Client is { } client && client.ExpiresSoon(now))
            {
                result.Add($"cluster {cert.Cluster}: the client certificate kubegate presents to {cert.Host} ({client.Subject}) {client.DescribeExpiry(now)}");
            }
        }

        foreach (var file in files.DistinctBy(f => (f.File.Path, f.File.IsCa)))
        {
            foreach (var certificate in file.Certificates.Where(c => c.ExpiresSoon(now)))
            {
                result.Add($"cluster {file.File.Cluster}: {(file.File.IsCa ? "CA" : "certificate")} file {file.File.Path} ({file.File.Use}, {certificate.Subject}) {certificate.DescribeExpiry(now)}");
            }
        }

        return result;
    }

    /// <summary>Whole days left (Envoy rounds down; an expired certificate shows 0).</summary>
    public static long DaysUntilExpiration(DateTimeOffset notAfter, DateTimeOffset now) =>
        notAfter <= now ? 0 : (long)Math.Floor((notAfter - now).TotalDays);

    private static void WriteFile(Utf8JsonWriter json, CertFileView file, DateTimeOffset now)
    {
        if (file.Error is not null)
        {
            json.WriteStartObject();
            json.WriteString("path", file.File.Path);
            json.WriteString("error", file.Error);
            json.WriteEndObject();
            return;
        }

        foreach (var certificate in file.Certificates)
        {
            WriteDetails(json, certificate, file.File.Path, now);
        }
    }

    private static void WriteDetails(Utf8JsonWriter json, CertificateDetails cert, string? path, DateTimeOffset now)
    {
        json.WriteStartObject();
        if (path is not null)
        {
            json.WriteString("path", path);
        }

        json.WriteString("serial_number", cert.SerialNumber);
        json.WriteStartArray("subject_alt_names");
        foreach (var dns in cert.DnsNames)
        {
            json.WriteStartObject();
            json.WriteString("dns", dns);
            json.WriteEndObject();
        }

        foreach (var ip in cert.IpAddresses)
        {
            json.WriteStartObject();
            json.WriteString("ip_address", ip);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteString("days_until_expiration", DaysUntilExpiration(cert.NotAfter, now).ToString(CultureInfo.InvariantCulture));
        json.WriteString("valid_from", Time(cert.NotBefore));
        json.WriteString("expiration_time", Time(cert.NotAfter));
        json.WriteString("subject", cert.Subject);
        json.WriteString("issuer", cert.Issuer);
        json.WriteEndObject();
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
