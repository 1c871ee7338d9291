using System.Diagnostics;
using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;
using ReadyzMode = Kubegate.Testing.ReadyzMode;
using TestCertificateAuthority = Kubegate.Testing.TestCertificateAuthority;

namespace Kubegate.FunctionalTests.Health;

/// <summary>HTTPS <c>GET /readyz</c> checks against fake apiservers: each failure mode is noticed within its bound.</summary>
public class HttpsReadyzCheckTests
{
    [Fact]
    public async Task Start_ListenersWaitForFirstRound_HostsHealthyWithCertificateExpiry()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);

        // StartAsync returned only after every host had its first check (Envoy's warming).
        Assert.All(bed.Cluster.AllHosts.Hosts, h => Assert.Equal(HealthFlags.None, h.HealthFlags));
        Assert.Equal(2, bed.Server.Stats.GetValue("cluster.c.health_check.healthy"));
        Assert.Equal(2, bed.Server.Stats.GetValue("cluster.c.membership_healthy"));
        var info = HostHealthInfo.For(bed.Host(0));
        Assert.True(info.LastCheck!.Succeeded);
        Assert.Equal(200, info.LastCheck.StatusCode);
        Assert.Equal(new DateTimeOffset(bed.Ca.ServerCertificate.NotAfter.ToUniversalTime(), TimeSpan.Zero), info.CertificateNotAfter);
        var request = bed.ApiServers[0].Requests.First(r => r.Path == "/readyz");
        Assert.Equal(200, request.StatusCode);
        Assert.Equal("HTTP/1.1", request.Protocol);
    }

    [Fact]
    public async Task Readyz500_HealthyHost_FailedAtOnceAndTrafficMovesToTheOther()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);
        var host = bed.Host(0);

        var stopwatch = Stopwatch.StartNew();
        bed.ApiServers[0].ReadyzMode = ReadyzMode.Fail500;
        await bed.WaitForAsync(() => host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        // An unexpected status is an ACTIVE failure: one check is enough, whatever unhealthy_threshold says.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, HealthTestBed.DetectionBound(threshold: 1));
        var last = HostHealthInfo.For(host).LastCheck!;
        Assert.Equal(HealthCheckFailureType.Active, last.FailureType);
        Assert.Equal(500, last.StatusCode);
        Assert.Equal([bed.Host(1)], bed.Cluster.AvailableHosts.Hosts);
        Assert.False(bed.Cluster.InPanic);
        Assert.Equal(1, bed.Server.Stats.GetValue("cluster.c.membership_healthy"));
        Assert.Equal(1, bed.Server.Stats.GetValue("cluster.c.health_check.healthy"));
    }

    [Fact]
    public async Task ReadyzSlow_ChecksTimeOut_FailedWithTimeoutFlagWithinThresholdChecks()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);
        var host = bed.Host(0);

        var stopwatch = Stopwatch.StartNew();
        bed.ApiServers[0].ReadyzMode = ReadyzMode.Slow;
        await bed.WaitForAsync(() => host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(HealthTestBed.CheckTimeout), HealthTestBed.DetectionBound());
        Assert.Equal(HealthFlags.FailedActiveHc | HealthFlags.ActiveHcTimeout, host.HealthFlags);
        Assert.Equal(HealthCheckFailureType.NetworkTimeout, HostHealthInfo.For(host).LastCheck!.FailureType);
        Assert.True(bed.Server.Stats.GetValue("cluster.c.health_check.network_failure") >= HealthTestBed.UnhealthyThreshold);
    }

    [Fact]
    public async Task ReadyzClosesConnection_NetworkFailures_FailedAfterThreshold()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);
        var host = bed.Host(0);

        var stopwatch = Stopwatch.StartNew();
        bed.ApiServers[0].ReadyzMode = ReadyzMode.CloseConnection;
        await bed.WaitForAsync(() => host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, HealthTestBed.DetectionBound());

        // A closed connection is a network failure. On a loaded machine one check may instead run past the 0.5 s
        // timeout (NETWORK_TIMEOUT), so the next checks are awaited rather than the one that happened to be last.
        await bed.WaitForAsync(() => HostHealthInfo.For(host).LastCheck?.FailureType == HealthCheckFailureType.Network);
        var change = HostHealthInfo.For(host).Changes[^1];
        Assert.StartsWith($"{HealthTestBed.UnhealthyThreshold} health checks in a row failed", change.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CertificateFromAnotherCa_HostNeverHealthy_ReasonNamesTheChain()
    {
        using var other = TestCertificateAuthority.Create("some-other-ca");
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 2,
            apiserver: (i, options) => options.ServerCertificate = i == 0 ? other.ServerCertificate : options.ServerCertificate);
        var host = bed.Host(0);

        await bed.WaitForAsync(() => HostHealthInfo.For(host).LastCheck is { Succeeded: false });

        Assert.True(host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
        Assert.Equal(HealthFlags.None, bed.Host(1).HealthFlags);
        var last = HostHealthInfo.For(host).LastCheck!;
        Assert.Equal(HealthCheckFailureType.Network, last.FailureType);
        Assert.Contains("does not chain to the trusted CA", last.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(bed.ApiServers[0].Requests, r => r.Path == "/readyz");
    }

    [Fact]
    public async Task SniNotCoveredByCertificate_Refused()
    {
        var ca = TestCertificateAuthority.Create();
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 1,
            cluster: c => HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, tls: t => t with { Sni = "api.example.com" }),
            ca: ca);

        await bed.WaitForAsync(() => HostHealthInfo.For(bed.Host(0)).LastCheck is not null);

        Assert.Contains("is not valid for 'api.example.com'", HostHealthInfo.For(bed.Host(0)).LastCheck!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MatchSubjectAltNames_NoneInTheCertificate_HostFailsWithTheNames()
    {
        var ca = TestCertificateAuthority.Create();
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 1,
            cluster: c => HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, tls: t => t with { MatchSubjectAltNames = ["api.other-cluster.example"] }),
            ca: ca);

        await bed.WaitForAsync(() => HostHealthInfo.For(bed.Host(0)).LastCheck is not null);

        Assert.True(bed.Host(0).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
        Assert.Contains("has none of the subject alt names api.other-cluster.example", HostHealthInfo.For(bed.Host(0)).LastCheck!.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(bed.ApiServers[0].Requests, r => r.Path == "/readyz");
    }

    [Fact]
    public async Task MatchSubjectAltNames_OneInTheCertificate_HostHealthyWhateverTheSni()
    {
        // The SNI names no SAN of the certificate: with match_typed_subject_alt_names the list decides, not the SNI.
        var ca = TestCertificateAuthority.Create();
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 1,
            cluster: c => HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, tls: t => t with { Sni = "api.example.com", MatchSubjectAltNames = ["nope.example", "kubernetes.default"] }),
            ca: ca);

        await bed.WaitForAsync(() => HostHealthInfo.For(bed.Host(0)).LastCheck is not null);

        Assert.Equal(HealthFlags.None, bed.Host(0).HealthFlags);
        Assert.Contains(bed.ApiServers[0].Requests, r => r.Path == "/readyz");
    }

    [Fact]
    public async Task Recovery_AfterHealthyThresholdPassesInARow()
    {
        await using var bed = await HealthTestBed.StartAsync(apiservers: 2);
        var host = bed.Host(0);
        bed.ApiServers[0].ReadyzMode = ReadyzMode.Fail500;
        await bed.WaitForAsync(() => host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        var stopwatch = Stopwatch.StartNew();
        bed.ApiServers[0].ReadyzMode = ReadyzMode.Ok;
        await bed.WaitForAsync(() => host.HealthFlags == HealthFlags.None);

        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, HealthTestBed.DetectionBound(HealthTestBed.HealthyThreshold));
        var change = HostHealthInfo.For(host).Changes[^1];
        Assert.Equal(HealthFlags.FailedActiveHc, change.Before);
        Assert.StartsWith($"{HealthTestBed.HealthyThreshold} health checks in a row passed", change.Reason, StringComparison.Ordinal);
        Assert.Equal(2, bed.Cluster.AvailableHosts.Count);
    }

    [Fact]
    public async Task Http2Codec_ChecksSpeakHttp2OverAlpn()
    {
        var ca = TestCertificateAuthority.Create();
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 1,
            cluster: _ => HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, check: h => h with { Http = h.Http! with { CodecClientType = CodecClientType.Http2 } }),
            ca: ca);

        Assert.True(bed.Host(0).HealthFlags == HealthFlags.None, HostHealthInfo.For(bed.Host(0)).LastCheck?.Reason);
        Assert.Equal("HTTP/2", bed.ApiServers[0].Requests.First(r => r.Path == "/readyz").Protocol);
    }

    [Fact]
    public async Task ClientCertificate_PresentedToTheApiserver()
    {
        var ca = TestCertificateAuthority.Create();
        using var client = ca.CreateClientCertificate("kubegate-health", "system:monitoring");
        var chainPem = client.ExportCertificatePem();
        var keyPem = TestCertificateAuthority.ExportPrivateKeyPem(client);
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 1,
            cluster: _ => HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, tls: t => t with { CertificateChainPem = chainPem, PrivateKeyPem = keyPem }),
            apiserver: (_, options) => options.ClientCertificateAuthority = ca.Certificate,
            ca: ca);

        Assert.Equal(HealthFlags.None, bed.Host(0).HealthFlags);
        Assert.Contains(bed.ApiServers[0].ClientSubjects, s => s.Contains("CN=kubegate-health", StringComparison.Ordinal));
        Assert.Equal("CN=kubegate-health", bed.ApiServers[0].Requests.First(r => r.Path == "/readyz").ClientSubject?.Split(',')[0].Trim());
    }

    [Fact]
    public async Task ExpectedStatuses_HalfOpenRange_500NotIncluded()
    {
        var ca = TestCertificateAuthority.Create();
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 1,
            cluster: _ => HealthTestBed.HttpsReadyzCluster(ca.CertificatePem, check: h => h with { Http = h.Http! with { ExpectedStatuses = [new StatusRange(200, 500)] } }),
            ca: ca);
        Assert.Equal(HealthFlags.None, bed.Host(0).HealthFlags);

        bed.ApiServers[0].ReadyzMode = ReadyzMode.Fail500;

        await bed.WaitForAsync(() => bed.Host(0).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));
    }
}
