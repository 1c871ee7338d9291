using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;

namespace Kubegate.Tests.Health.Outlier;

public class OutlierDetectorTests
{
    private static readonly OutlierDetectionConfig Ejecting = new() { MaxEjectionPercent = 100 };

    [Fact]
    public void ConsecutiveFailedConnects_ReachConsecutive5xx_HostEjected()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 3 }, hosts: 2);
        var host = test.Host(10001);

        Fail(test, host, 2);
        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Fail(test, host, 1);

        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
        Assert.DoesNotContain(host, test.Cluster.AvailableHosts.Hosts);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_active"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_enforced_total"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_detected_consecutive_5xx"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_enforced_consecutive_5xx"));
        Assert.Equal(1, test.Stat("membership_healthy"));
    }

    [Fact]
    public void ConnectTimeouts_CountAs5xxToo()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 2 }, hosts: 2);
        var host = test.Host(10001);

        test.Health.OnConnectResult(host, UpstreamConnectResult.Timeout);
        test.Health.OnConnectResult(host, UpstreamConnectResult.Failed);

        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
    }

    [Fact]
    public void SuccessfulConnect_ResetsTheCount()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 3 }, hosts: 2);
        var host = test.Host(10001);

        Fail(test, host, 2);
        test.Health.OnConnectResult(host, UpstreamConnectResult.Success);
        Fail(test, host, 2);

        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Assert.Equal(2, test.Health.OutlierDetector!.GetMonitor(host)!.Consecutive5xx);
    }

    [Fact]
    public void GatewayFailures_DetectedButNotEnforcedByDefault()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 100, ConsecutiveGatewayFailure = 2 }, hosts: 2);
        var host = test.Host(10001);

        Fail(test, host, 2);

        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_detected_consecutive_gateway_failure"));
        Assert.Equal(0, test.Stat("outlier_detection.ejections_enforced_consecutive_gateway_failure"));
        Assert.Equal(0, test.Health.OutlierDetector!.GetMonitor(host)!.ConsecutiveGatewayFailure);
    }

    [Fact]
    public void GatewayFailures_Enforced_Ejects()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 100, ConsecutiveGatewayFailure = 2, EnforcingConsecutiveGatewayFailure = 100 }, hosts: 2);

        Fail(test, test.Host(10001), 2);

        Assert.Equal(HealthFlags.FailedOutlierCheck, test.Host(10001).HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_enforced_consecutive_gateway_failure"));
    }

    [Fact]
    public void SplitLocalOrigin_OnlyConsecutiveLocalOriginFailureFires()
    {
        var config = Ejecting with { SplitExternalLocalOriginErrors = true, Consecutive5xx = 2, ConsecutiveGatewayFailure = 2, ConsecutiveLocalOriginFailure = 3 };
        using var test = Cluster(config, hosts: 2);
        var host = test.Host(10001);

        Fail(test, host, 2);
        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Fail(test, host, 1);

        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_enforced_consecutive_local_origin_failure"));
        Assert.Equal(0, test.Stat("outlier_detection.ejections_detected_consecutive_5xx"));
        Assert.Equal(0, test.Stat("outlier_detection.ejections_detected_consecutive_gateway_failure"));
    }

    [Fact]
    public void DefaultMaxEjectionPercent_FewerThanTenHosts_OverflowInsteadOfEjection()
    {
        using var test = Cluster(new OutlierDetectionConfig { Consecutive5xx = 2 }, hosts: 2);
        var host = test.Host(10001);

        Fail(test, host, 2);

        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_detected_consecutive_5xx"));
        Assert.Equal(0, test.Stat("outlier_detection.ejections_enforced_total"));

        // The 5xx counter was reset at detection and fires again at 4; the gateway-failure detector (5 by default)
        // hits the cap too, enforced or not, as in Envoy.
        Fail(test, host, 3);
        Assert.Equal(3, test.Stat("outlier_detection.ejections_overflow"));
        Assert.Equal(2, test.Stat("outlier_detection.ejections_detected_consecutive_5xx"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_detected_consecutive_gateway_failure"));
    }

    [Fact]
    public void DefaultMaxEjectionPercent_TenHosts_OneEjectionAllowed()
    {
        using var test = Cluster(new OutlierDetectionConfig { Consecutive5xx = 1 }, hosts: 10);

        Fail(test, test.Host(10001), 1);
        Fail(test, test.Host(10002), 1);

        Assert.Equal(HealthFlags.FailedOutlierCheck, test.Host(10001).HealthFlags);
        Assert.Equal(HealthFlags.None, test.Host(10002).HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_overflow"));
    }

    [Fact]
    public void AlwaysEjectOneHost_SmallCluster_FirstEjectedSecondOverflows()
    {
        using var test = Cluster(new OutlierDetectionConfig { Consecutive5xx = 1, AlwaysEjectOneHost = true }, hosts: 2);

        Fail(test, test.Host(10001), 1);
        Fail(test, test.Host(10002), 1);

        Assert.Equal(HealthFlags.FailedOutlierCheck, test.Host(10001).HealthFlags);
        Assert.Equal(HealthFlags.None, test.Host(10002).HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_active"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_overflow"));
    }

    [Fact]
    public void MaxEjectionPercent50_FourHosts_TwoEjectedThirdOverflows()
    {
        using var test = Cluster(new OutlierDetectionConfig { Consecutive5xx = 1, MaxEjectionPercent = 50 }, hosts: 4);

        for (var port = 10001; port <= 10003; port++)
        {
            Fail(test, test.Host(port), 1);
        }

        Assert.Equal(2, test.Stat("outlier_detection.ejections_active"));
        Assert.Equal(HealthFlags.None, test.Host(10003).HealthFlags);
        Assert.Equal(1, test.Stat("outlier_detection.ejections_overflow"));
    }

    [Fact]
    public void Enforcing_DrawAtOrAbovePercentage_DetectedOnly()
    {
        // Draws: 50 (not < 50: not enforced), then 49 (enforced).
        using var test = Cluster(Ejecting with { Consecutive5xx = 1, EnforcingConsecutive5xx = 50 }, hosts: 2, random: new FixedRandom(50, 49));
        var host = test.Host(10001);

        Fail(test, host, 1);
        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Fail(test, host, 1);

        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
        Assert.Equal(2, test.Stat("outlier_detection.ejections_detected_consecutive_5xx"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_enforced_consecutive_5xx"));
    }

    [Fact]
    public void Ejection_UnejectedOnTheIntervalTickAfterBaseEjectionTime()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 1 }, hosts: 2);
        var host = test.Host(10001);
        test.Advance(5);
        Fail(test, host, 1);

        // Ejected at 5 s for 30 s: ticks at 10, 20, 30 leave it out; the tick at 40 brings it back.
        test.Advance(30);
        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
        test.Advance(5);
        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Assert.Equal(0, test.Stat("outlier_detection.ejections_active"));
        Assert.Contains(host, test.Cluster.AvailableHosts.Hosts);
        Assert.Equal(0, test.Health.OutlierDetector!.GetMonitor(host)!.Consecutive5xx);
        Assert.Equal("outlier", HostHealthInfo.For(host).Changes[^1].Source);
    }

    [Fact]
    public void RepeatedEjections_BackOffUpToMaxEjectionTime_ThenDecay()
    {
        var config = Ejecting with { Consecutive5xx = 1, Interval = TimeSpan.FromSeconds(10), BaseEjectionTime = TimeSpan.FromSeconds(10), MaxEjectionTime = TimeSpan.FromSeconds(25) };
        using var test = Cluster(config, hosts: 2);
        var host = test.Host(10001);
        var monitor = test.Health.OutlierDetector!.GetMonitor(host)!;
        var detector = test.Health.OutlierDetector!;

        Fail(test, host, 1);
        Assert.Equal(TimeSpan.FromSeconds(10), detector.EjectionDuration(monitor));
        test.Advance(10);
        Assert.Equal(HealthFlags.None, host.HealthFlags);

        Fail(test, host, 1);
        Assert.Equal(TimeSpan.FromSeconds(20), detector.EjectionDuration(monitor));
        test.Advance(10);
        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
        test.Advance(10);
        Assert.Equal(HealthFlags.None, host.HealthFlags);

        Fail(test, host, 1);
        Assert.Equal(TimeSpan.FromSeconds(25), detector.EjectionDuration(monitor));
        Assert.Equal(3, monitor.EjectTimeBackoff);
        test.Advance(30);
        Assert.Equal(HealthFlags.None, host.HealthFlags);

        // Each interval spent un-ejected takes one step off the backoff.
        test.Advance(20);
        Assert.Equal(1, monitor.EjectTimeBackoff);
        Fail(test, host, 1);
        Assert.Equal(TimeSpan.FromSeconds(20), detector.EjectionDuration(monitor));
    }

    [Fact]
    public void MaxEjectionTimeJitter_AddsTheDrawnJitter()
    {
        var config = Ejecting with { Consecutive5xx = 1, MaxEjectionTimeJitter = TimeSpan.FromSeconds(5) };
        using var test = Cluster(config, hosts: 2, random: new FixedRandom(0, 4000));
        var host = test.Host(10001);

        Fail(test, host, 1);

        Assert.Equal(TimeSpan.FromSeconds(34), test.Health.OutlierDetector!.EjectionDuration(test.Health.OutlierDetector.GetMonitor(host)!));
    }

    [Fact]
    public void AlreadyEjected_FurtherFailuresDoNotEjectAgain()
    {
        using var test = Cluster(Ejecting with { Consecutive5xx = 2 }, hosts: 2);
        var host = test.Host(10001);

        Fail(test, host, 6);

        Assert.Equal(1, test.Stat("outlier_detection.ejections_enforced_total"));
        Assert.Equal(1, test.Stat("outlier_detection.ejections_detected_consecutive_5xx"));
    }

    [Fact]
    public void EjectedHostRemoved_EjectionsActiveDropped()
    {
        var config = HealthTestCluster.Config(outlier: Ejecting with { Consecutive5xx = 1 });
        using var test = new HealthTestCluster(config, [10001, 10002]);
        Fail(test, test.Host(10001), 1);

        test.Cluster.Update(config, HealthTestCluster.Assignment([10002]));

        Assert.Equal(0, test.Stat("outlier_detection.ejections_active"));
        Assert.Null(test.Health.OutlierDetector!.GetMonitor(test.Host(10002)) is null ? "missing" : null);
    }

    [Fact]
    public void PassingActiveCheck_UnejectsAtOnce()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(), Ejecting with { Consecutive5xx = 1 });
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.RunDueChecks();
        var host = test.Host(10001);
        Fail(test, host, 1);
        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);

        test.Advance(1);

        Assert.Equal(HealthFlags.None, host.HealthFlags);
        Assert.Equal(0, test.Stat("outlier_detection.ejections_active"));
    }

    [Fact]
    public void PassingActiveCheck_UnejectDisabled_StaysEjected()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(), Ejecting with { Consecutive5xx = 1, SuccessfulActiveHealthCheckUnejectHost = false });
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.RunDueChecks();
        var host = test.Host(10001);
        Fail(test, host, 1);

        test.Advance(1);

        Assert.Equal(HealthFlags.FailedOutlierCheck, host.HealthFlags);
    }

    [Fact]
    public void OutlierConfigChanged_EjectionsLifted()
    {
        var config = HealthTestCluster.Config(outlier: Ejecting with { Consecutive5xx = 1 });
        using var test = new HealthTestCluster(config, [10001, 10002]);
        Fail(test, test.Host(10001), 1);

        test.Cluster.Update(HealthTestCluster.Config(outlier: Ejecting with { Consecutive5xx = 2 }), assignment: null);

        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Equal(0, test.Stat("outlier_detection.ejections_active"));
    }

    [Fact]
    public void StatsRegistered_OnlyWithOutlierDetection()
    {
        using var with = Cluster(new OutlierDetectionConfig(), hosts: 1);
        using var without = new HealthTestCluster(HealthTestCluster.Config(), [10001]);

        Assert.NotNull(with.Stats.TryGetValue("cluster.c.outlier_detection.ejections_detected_success_rate"));
        Assert.Null(without.Stats.TryGetValue("cluster.c.outlier_detection.ejections_active"));
    }

    private static HealthTestCluster Cluster(OutlierDetectionConfig config, int hosts, Random? random = null) =>
        new(HealthTestCluster.Config(outlier: config), Enumerable.Range(10001, hosts), random);

    private static void Fail(HealthTestCluster test, EndpointState host, int times)
    {
        for (var i = 0; i < times; i++)
        {
            test.Health.OnConnectResult(host, UpstreamConnectResult.Failed);
        }
    }
}
