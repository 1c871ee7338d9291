using System.Text.Json;
using Kubegate.Admin;
using Kubegate.Configuration;
using Kubegate.Infrastructure;

namespace Kubegate.Tests.Admin;

public sealed class CertsFormatterTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CertificateDetails Cert(string subject, double daysLeft) =>
        new(subject, "CN=kubernetes-ca", "01ab", ["kubernetes", "kubernetes.default"], ["10.96.0.1"], Now.AddDays(-30), Now.AddDays(daysLeft));

    [Fact]
    public void FormatJson_EnvoyShape_FilesPerClusterThenUpstreamWithTheClientCertificate()
    {
        var files = new[]
        {
            new CertFileView(new ConfiguredCertificateFile("/etc/kubegate/ca.crt", true, "c", "health check"), [Cert("CN=kubernetes-ca", 3650)], null),
            new CertFileView(new ConfiguredCertificateFile("/etc/kubegate/client.crt", false, "c", "health check"), [Cert("CN=kubegate", 200)], null),
        };
        var upstream = new[] { new CertView("c", "10.0.0.1:6443", Cert("CN=kube-apiserver", 10.5), Cert("CN=kubegate", 200)) };

        var root = JsonDocument.Parse(CertsFormatter.FormatJson(upstream, files, Now)).RootElement.GetProperty("certificates");

        Assert.Equal(2, root.GetArrayLength());
        var context = root[0];
        Assert.Equal("/etc/kubegate/ca.crt", context.GetProperty("ca_cert")[0].GetProperty("path").GetString());
        Assert.Equal("/etc/kubegate/client.crt", context.GetProperty("cert_chain")[0].GetProperty("path").GetString());
        var host = root[1];
        Assert.Equal("10.0.0.1:6443", host.GetProperty("host").GetString());
        var server = host.GetProperty("cert_chain")[0];
        Assert.Equal("10", server.GetProperty("days_until_expiration").GetString());
        Assert.Equal("CN=kubernetes-ca", server.GetProperty("issuer").GetString());
        Assert.Equal("2025-12-02T00:00:00Z", server.GetProperty("valid_from").GetString());
        Assert.Equal(["kubernetes", "kubernetes.default"], server.GetProperty("subject_alt_names").EnumerateArray().Where(s => s.TryGetProperty("dns", out _)).Select(s => s.GetProperty("dns").GetString()));
        Assert.Equal("10.96.0.1", server.GetProperty("subject_alt_names")[2].GetProperty("ip_address").GetString());
        Assert.Equal("CN=kubegate", host.GetProperty("client_cert_chain")[0].GetProperty("subject").GetString());
    }

    [Fact]
    public void FormatPrometheus_SecondsUntilExpiry_PerEndpointAndPerFile_NegativeOnceExpired()
    {
        var files = new[] { new CertFileView(new ConfiguredCertificateFile("/ca.crt", true, "c", "discovery"), [Cert("CN=a", 100), Cert("CN=b", -1)], null) };
        var upstream = new[] { new CertView("c", "10.0.0.1:6443", Cert("CN=kube-apiserver", 10), null) };

        var text = CertsFormatter.FormatPrometheus(upstream, files, Now);

        Assert.Contains("# TYPE kubegate_certificate_expiration_seconds gauge\n", text, StringComparison.Ordinal);
        Assert.Contains("kubegate_certificate_expiration_seconds{cluster=\"c\",host=\"10.0.0.1:6443\",certificate=\"server\"} 864000\n", text, StringComparison.Ordinal);
        Assert.Contains("kubegate_certificate_expiration_seconds{path=\"/ca.crt\",certificate=\"ca\"} -86400\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("certificate=\"client\"", text, StringComparison.Ordinal);
        Assert.Equal(string.Empty, CertsFormatter.FormatPrometheus([], [], Now));
    }

    [Fact]
    public void Warnings_UnderThirtyDaysOrExpired_OnlyThose()
    {
        var files = new[] { new CertFileView(new ConfiguredCertificateFile("/ca.crt", true, "c", "health check"), [Cert("CN=old-ca", -2), Cert("CN=new-ca", 400)], null) };
        var upstream = new[] { new CertView("c", "10.0.0.1:6443", Cert("CN=kube-apiserver", 10), Cert("CN=kubegate", 31)) };

        var warnings = CertsFormatter.Warnings(upstream, files, Now);

        Assert.Equal(2, warnings.Count);
        Assert.Contains("apiserver 10.0.0.1:6443 (CN=kube-apiserver) expires in 10 day(s)", warnings[0], StringComparison.Ordinal);
        Assert.Contains("CA file /ca.crt (health check, CN=old-ca) expired 2 day(s) ago", warnings[1], StringComparison.Ordinal);
    }
}
