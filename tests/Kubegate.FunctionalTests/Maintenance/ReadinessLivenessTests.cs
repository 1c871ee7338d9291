using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.FunctionalTests.Health;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Maintenance;

/// <summary>
/// <c>health_check_role: readiness</c> with <c>liveness_path: /livez</c> against fake apiservers over HTTPS: /readyz
/// failing while /livez passes drains; both failing (an apiserver alive in name only) takes it down and closes its
/// connections.
/// </summary>
public sealed class ReadinessLivenessTests
{
    [Fact]
    public async Task ReadyzFailsLivezPasses_Draining_ConnectionKept_BothFail_DownAndClosed()
    {
        await using var bed = await HealthTestBed.StartAsync(
            apiservers: 2,
            cluster: c => c with
            {
                CloseConnectionsOnHostHealthFailure = true,
                Kubegate = new KubegateClusterExtension { HealthCheckRole = HealthCheckRole.Readiness, LivenessPath = "/livez" },
            });
        var host = bed.Host(1);
        // Two long-lived connections through kubegate: round robin puts one on each apiserver.
        using var first = await Infrastructure.SocketTestExtensions.ConnectTcpAsync(bed.ListenerEndPoint);
        using var second = await Infrastructure.SocketTestExtensions.ConnectTcpAsync(bed.ListenerEndPoint);
        await Infrastructure.Wait.UntilAsync(() => host.CxActive == 1);

        bed.ApiServers[1].ReadyzMode = ReadyzMode.ShuttingDown;
        await bed.WaitForAsync(() => host.ServingState == ServingState.Draining);
        Assert.Contains(bed.ApiServers[1].Requests, r => r.Path == "/livez");
        Assert.Equal(1, host.CxActive);

        bed.ApiServers[1].LivezOk = false;
        await bed.WaitForAsync(() => host.ServingState == ServingState.Down);
        await Infrastructure.Wait.UntilAsync(() => host.CxActive == 0);
        Assert.Contains("/livez", HostHealthInfoReason(host), StringComparison.Ordinal);
    }

    private static string HostHealthInfoReason(EndpointState host) => Kubegate.Health.HostHealthInfo.For(host).LastCheck?.Reason ?? string.Empty;
}
