using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Health;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.FunctionalTests.Reload;
using Kubegate.Hosting;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Admin;

/// <summary>
/// An apiserver whose serving certificate expires in 10 days, health-checked over HTTPS with a client certificate:
/// <c>/certs</c>, the Prometheus gauge, the dashboard (real chromium) and the log all say so; <c>--mode validate</c>
/// warns about an expiring CA file.
/// </summary>
public sealed class CertificateExpiryTests : IDisposable
{
    private static readonly TimeSpan TenDays = TimeSpan.FromDays(10) + TimeSpan.FromHours(1);
    private readonly TestPaths _paths = TestPaths.Create();

    public void Dispose() => _paths.Dispose();

    [Fact]
    public async Task ApiServerCertificateExpiringInTenDays_ShowsInCertsGaugeDashboardAndLog()
    {
        using var ca = TestCertificateAuthority.Create();
        using var serving = ca.CreateServerCertificate(validFor: TenDays);
        using var client = ca.CreateClientCertificate("kubegate-health", "system:monitoring");
        var caFile = ca.WriteCertificateAuthority(_paths.Combine("pki"));
        await using var api = await FakeApiServer.StartAsync(new FakeApiServerOptions { Name = "apiserver-0", ServerCertificate = serving, ClientCertificateAuthority = ca.Certificate });
        var cluster = HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, tls: t => t with
        {
            TrustedCaPem = null,
            TrustedCaFile = caFile,
            CertificateChainPem = client.ExportCertificatePem(),
            PrivateKeyPem = TestCertificateAuthority.ExportPrivateKeyPem(client),
        });
        var snapshot = TestConfig.Snapshot([TestConfig.Listener("l", "c")], [cluster], [TestConfig.Assignment("c", api.EndPoint)]);
        snapshot = snapshot with { Bootstrap = snapshot.Bootstrap with { Admin = new AdminConfig { Address = new SocketAddressConfig(IPAddress.Loopback, 0) } } };
        var logs = new LogCollector();
        await using var server = new KubegateServer(snapshot, loggerFactory: logs);
        await server.StartAsync().DefaultTimeout();
        var admin = $"http://{server.AdminEndPoint}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var certs = JsonDocument.Parse(await http.GetStringAsync(admin + "/certs")).RootElement.GetProperty("certificates");
        var configured = certs[0];
        Assert.Equal(caFile, configured.GetProperty("ca_cert")[0].GetProperty("path").GetString());
        var upstream = certs[1];
        Assert.Equal(api.EndPoint.ToString(), upstream.GetProperty("host").GetString());
        var served = upstream.GetProperty("cert_chain")[0];
        Assert.Equal("10", served.GetProperty("days_until_expiration").GetString());
        Assert.Equal(serving.Subject, served.GetProperty("subject").GetString());
        Assert.Equal(ca.Certificate.Subject, served.GetProperty("issuer").GetString());
        Assert.Contains(served.GetProperty("subject_alt_names").EnumerateArray(), s => s.TryGetProperty("dns", out var dns) && dns.GetString() == "kubernetes");
        Assert.Equal(client.Subject, upstream.GetProperty("client_cert_chain")[0].GetProperty("subject").GetString());

        var prometheus = await http.GetStringAsync(admin + "/stats/prometheus");
        var prefix = $"kubegate_certificate_expiration_seconds{{cluster=\"c\",host=\"{api.EndPoint}\",certificate=\"server\"}} ";
        var line = Assert.Single(prometheus.Split('\n'), l => l.StartsWith(prefix, StringComparison.Ordinal));
        var seconds = double.Parse(line[prefix.Length..], CultureInfo.InvariantCulture);
        Assert.InRange(seconds, TenDays.TotalSeconds - 120, TenDays.TotalSeconds);

        Assert.Contains(logs.Lines, l => l.Contains($"the certificate of apiserver {api.EndPoint}", StringComparison.Ordinal) && l.Contains("expires in 10 day(s)", StringComparison.Ordinal));

        await using var browser = await ChromiumBrowser.StartAsync(1280, 800);
        await browser.NavigateAsync(admin + "/");
        await browser.WaitForAsync(
            "!document.getElementById('warnings').hidden && document.getElementById('warnings').innerText.indexOf('expires in 10 day(s)') >= 0",
            TimeSpan.FromSeconds(5));
        var warning = (await browser.EvaluateAsync("document.querySelector('#warnings .warning').innerText")).GetString();
        Assert.Contains(api.EndPoint.ToString(), warning, StringComparison.Ordinal);
        Assert.Empty(browser.Errors);
    }

    [Fact]
    public async Task Validate_CaFileExpiringOrExpired_WarnsNamingTheFile_AndStillPasses()
    {
        var directory = _paths.Combine("config");
        Directory.CreateDirectory(directory);
        WriteSelfSignedCa(Path.Combine(directory, "expiring-ca.crt"), "expiring-ca", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow + TenDays);
        WriteSelfSignedCa(Path.Combine(directory, "expired-ca.crt"), "expired-ca", DateTimeOffset.UtcNow.AddDays(-30), DateTimeOffset.UtcNow.AddDays(-2));
        WriteSelfSignedCa(Path.Combine(directory, "fresh-ca.crt"), "fresh-ca", DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        File.WriteAllText(Path.Combine(directory, "envoy.yaml"), ReloadConfig.Bootstrap);
        File.WriteAllText(Path.Combine(directory, "lds.yaml"), ReloadConfig.Lds("1", ReloadConfig.Listener("l1", "c1", port: 1), ReloadConfig.Listener("l2", "c2", port: 2), ReloadConfig.Listener("l3", "c3", port: 3)));
        File.WriteAllText(Path.Combine(directory, "cds.yaml"), ReloadConfig.Cds("1", Cluster("c1", "expiring-ca.crt"), Cluster("c2", "expired-ca.crt"), Cluster("c3", "fresh-ca.crt")));

        await using var process = await KubegateProcess.RunAsync(directory, "--mode", "validate", "-c", "envoy.yaml");

        Assert.True(process.ExitCode == 0, process.StandardError);
        var warnings = process.StandardError.Split('\n').Where(l => l.StartsWith("warning: ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains($"CA file {Path.Combine(directory, "expiring-ca.crt")} (health check, CN=expiring-ca) expires in 10 day(s)", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains($"CA file {Path.Combine(directory, "expired-ca.crt")} (health check, CN=expired-ca) expired 2 day(s) ago", StringComparison.Ordinal));
    }

    private static string Cluster(string name, string caFile) => $$"""
        - "@type": type.googleapis.com/envoy.config.cluster.v3.Cluster
          name: {{name}}
          type: STATIC
          connect_timeout: 1s
          circuit_breakers:
            thresholds:
            - max_connections: 1000
          load_assignment:
            cluster_name: {{name}}
            endpoints:
            - lb_endpoints:
              - endpoint:
                  address:
                    socket_address: {address: 127.0.0.1, port_value: 6443 }
          transport_socket_matches:
          - name: tls
            match: {tls: true}
            transport_socket:
              name: envoy.transport_sockets.tls
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
                common_tls_context:
                  validation_context:
                    trusted_ca: {filename: {{caFile}}}
          health_checks:
          - timeout: 1s
            interval: 5s
            unhealthy_threshold: 3
            healthy_threshold: 1
            transport_socket_match_criteria: {tls: true}
            http_health_check: {path: /readyz}

        """;

    private static void WriteSelfSignedCa(string path, string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        File.WriteAllText(path, certificate.ExportCertificatePem());
    }
}
