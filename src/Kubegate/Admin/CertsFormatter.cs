using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kubegate.Clusters;
using Kubegate.Health;

namespace Kubegate.Admin;

/// <summary>One server certificate a TLS health check saw.</summary>
internal sealed record CertView(string Cluster, string Host, string? Subject, string? SerialNumber, DateTimeOffset NotAfter);

/// <summary>
/// <c>/certs</c>: the upstream certificates seen by TLS health checks (kubegate holds no certificates of its own for
/// traffic: TLS passes through). Envoy's shape: <c>{"certificates":[{"cert_chain":[{…,"days_until_expiration":…}]}]}</c>,
/// with the cluster and host added.
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
                if (HostHealthInfo.TryGet(host) is { CertificateNotAfter: { } notAfter } info)
                {
                    result.Add(new CertView(cluster.Name, host.AddressText, info.CertificateSubject, info.CertificateSerial, notAfter));
                }
            }
        }

        return result;
    }

    public static string FormatJson(IReadOnlyList<CertView> certs, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("certificates");
            foreach (var cert in certs)
            {
                json.WriteStartObject();
                json.WriteString("cluster", cert.Cluster);
                json.WriteString("host", cert.Host);
                json.WriteStartArray("ca_cert");
                json.WriteEndArray();
                json.WriteStartArray("cert_chain");
                json.WriteStartObject();
                if (cert.Subject is not null)
                {
                    json.WriteString("subject", cert.Subject);
                }

                if (cert.SerialNumber is not null)
                {
                    json.WriteString("serial_number", cert.SerialNumber.ToLowerInvariant());
                }

                json.WriteString("days_until_expiration", DaysUntilExpiration(cert.NotAfter, now).ToString(CultureInfo.InvariantCulture));
                json.WriteString("expiration_time", cert.NotAfter.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
                json.WriteEndObject();
                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Whole days left (Envoy rounds down; an expired certificate shows 0).</summary>
    public static long DaysUntilExpiration(DateTimeOffset notAfter, DateTimeOffset now) =>
        notAfter <= now ? 0 : (long)Math.Floor((notAfter - now).TotalDays);
}
