using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;

namespace Kubegate.Tests.Health;

/// <summary>How health verdicts become the available set: panic, the all-unhealthy policy, exclusions.</summary>
public class AvailabilityTests
{
    [Fact]
    public void AllHostsFailChecks_DefaultPanicThreshold_TrafficToAllAndPanicCounted()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001, 10002]);
        test.Probe(10001).FailActive();
        test.Probe(10002).FailActive();
        test.RunDueChecks();

        Assert.True(test.Cluster.InPanic);
        Assert.Equal(2, test.Cluster.AvailableHosts.Count);
        Assert.NotNull(test.Cluster.Pick());
        Assert.Equal(1, test.Stat("lb_healthy_panic"));
        Assert.Equal(0, test.Stat("membership_healthy"));
    }

    [Fact]
    public void AllHostsFailChecks_PanicDisabled_NoHost()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(), configure: c => c with { HealthyPanicThreshold = 0 });
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.Probe(10001).FailActive();
        test.Probe(10002).FailActive();
        test.RunDueChecks();

        Assert.False(test.Cluster.InPanic);
        Assert.Null(test.Cluster.Pick());
    }

    [Fact]
    public void OneOfTwoFails_HalfHealthy_NotPanicOnlyHealthyUsed()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001, 10002]);
        test.Probe(10002).FailActive();
        test.RunDueChecks();

        Assert.False(test.Cluster.InPanic);
        Assert.Equal([test.Host(10001)], test.Cluster.AvailableHosts.Hosts);
    }

    [Fact]
    public void OneOfThreeHealthy_BelowFiftyPercent_Panic()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001, 10002, 10003]);
        test.Probe(10002).FailActive();
        test.Probe(10003).FailActive();
        test.RunDueChecks();

        Assert.True(test.Cluster.InPanic);
        Assert.Equal(3, test.Cluster.AvailableHosts.Count);
    }

    [Fact]
    public void ActiveCheckAndOutlier_EitherVetoes()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(), new OutlierDetectionConfig { Consecutive5xx = 1, MaxEjectionPercent = 100 },
            c => c with { HealthyPanicThreshold = 0 });
        using var test = new HealthTestCluster(config, [10001, 10002, 10003]);
        test.Probe(10002).FailActive();
        test.RunDueChecks();

        test.Health.OnConnectResult(test.Host(10003), UpstreamConnectResult.Failed);

        Assert.Equal([test.Host(10001)], test.Cluster.AvailableHosts.Hosts);
    }

    [Fact]
    public void IgnoreNewHostsUntilFirstHc_UncheckedHostExcludedEvenInPanic()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(), configure: c => c with { IgnoreNewHostsUntilFirstHc = true });
        using var test = new HealthTestCluster(config, [10001]);
        test.RunDueChecks();

        test.Cluster.Update(config, HealthTestCluster.Assignment([10001, 10002, 10003]));

        // 1 of 3 healthy would be panic, but the two unchecked hosts do not count and take no traffic.
        Assert.False(test.Cluster.InPanic);
        Assert.Equal([test.Host(10001)], test.Cluster.AvailableHosts.Hosts);
        Assert.Equal(3, test.Stat("membership_total"));
    }

    [Fact]
    public void FlagsChanged_HostHealthChangedRaised()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001]);
        var changes = new List<HealthChange>();
        test.Health.HostHealthChanged += (_, c) => changes.Add(c);

        test.RunDueChecks();

        var change = Assert.Single(changes);
        Assert.Equal(HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, change.Before);
        Assert.Equal(HealthFlags.None, change.After);
        Assert.StartsWith("first health check passed", change.Reason, StringComparison.Ordinal);
    }
}
