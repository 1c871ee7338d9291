using Kubegate.Configuration;
using Kubegate.Health;
using Kubegate.Health.Active;

namespace Kubegate.Tests.Health.Active;

public class HealthCheckIntervalsTests
{
    private static readonly HealthCheckConfig Plain = HealthTestCluster.Check(intervalSeconds: 10) with { NoTrafficInterval = TimeSpan.FromSeconds(60) };

    private static readonly HealthCheckConfig Tuned = Plain with
    {
        NoTrafficHealthyInterval = TimeSpan.FromSeconds(120),
        UnhealthyInterval = TimeSpan.FromSeconds(20),
        UnhealthyEdgeInterval = TimeSpan.FromSeconds(2),
        HealthyEdgeInterval = TimeSpan.FromSeconds(3),
    };

    [Theory]
    [InlineData(true, (int)HealthTransition.Unchanged, 10)]
    [InlineData(true, (int)HealthTransition.Changed, 10)]
    [InlineData(true, (int)HealthTransition.ChangePending, 10)]
    [InlineData(false, (int)HealthTransition.Unchanged, 10)]
    [InlineData(false, (int)HealthTransition.ChangePending, 10)]
    public void Base_WithTrafficDefaults_AllUseInterval(bool passed, int transition, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), HealthCheckIntervals.Base(Plain, hadTraffic: true, passed, (HealthTransition)transition));

    [Theory]
    [InlineData(true, (int)HealthTransition.Unchanged, 10)]
    [InlineData(true, (int)HealthTransition.Changed, 10)]
    [InlineData(true, (int)HealthTransition.ChangePending, 3)]
    [InlineData(false, (int)HealthTransition.Unchanged, 20)]
    [InlineData(false, (int)HealthTransition.Changed, 20)]
    [InlineData(false, (int)HealthTransition.ChangePending, 2)]
    public void Base_WithTraffic_UsesHealthyUnhealthyAndEdgeIntervals(bool passed, int transition, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), HealthCheckIntervals.Base(Tuned, hadTraffic: true, passed, (HealthTransition)transition));

    [Fact]
    public void Base_UnhealthyEdgeUnset_FollowsUnhealthyInterval()
    {
        var config = Plain with { UnhealthyInterval = TimeSpan.FromSeconds(7) };

        Assert.Equal(TimeSpan.FromSeconds(7), HealthCheckIntervals.Base(config, hadTraffic: true, passed: false, HealthTransition.ChangePending));
    }

    [Theory]
    [InlineData(true, (int)HealthTransition.Unchanged, 120)]
    [InlineData(true, (int)HealthTransition.Changed, 120)]
    [InlineData(true, (int)HealthTransition.ChangePending, 60)]
    [InlineData(false, (int)HealthTransition.Unchanged, 60)]
    [InlineData(false, (int)HealthTransition.ChangePending, 60)]
    public void Base_NoTraffic_UsesNoTrafficIntervals(bool passed, int transition, double expectedSeconds) =>
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), HealthCheckIntervals.Base(Tuned, hadTraffic: false, passed, (HealthTransition)transition));

    [Fact]
    public void Base_NoTrafficHealthyUnset_DefaultsToNoTrafficInterval() =>
        Assert.Equal(TimeSpan.FromSeconds(60), HealthCheckIntervals.Base(Plain, hadTraffic: false, passed: true, HealthTransition.Unchanged));

    [Fact]
    public void WithJitter_PercentAndFixed_BothAddedFromTheirRanges()
    {
        var config = Plain with { IntervalJitterPercent = 10, IntervalJitter = TimeSpan.FromMilliseconds(500) };
        var bounds = new List<long>();

        var result = HealthCheckIntervals.WithJitter(TimeSpan.FromSeconds(10), config, max =>
        {
            bounds.Add(max);
            return max - 1;
        });

        Assert.Equal([1000, 500], bounds);
        Assert.Equal(TimeSpan.FromMilliseconds(10_000 + 999 + 499), result);
    }

    [Fact]
    public void WithJitter_None_ExactAndAtLeastOneMillisecond()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), HealthCheckIntervals.WithJitter(TimeSpan.FromSeconds(10), Plain, _ => throw new InvalidOperationException()));
        Assert.Equal(TimeSpan.FromMilliseconds(1), HealthCheckIntervals.WithJitter(TimeSpan.Zero, Plain, _ => 0));
    }

    [Fact]
    public void InitialDelay_JitterDrawnBelowInitialJitter()
    {
        var config = Plain with { InitialJitter = TimeSpan.FromSeconds(2) };

        Assert.Equal(TimeSpan.Zero, HealthCheckIntervals.InitialDelay(Plain, _ => throw new InvalidOperationException()));
        Assert.Equal(TimeSpan.FromMilliseconds(1234), HealthCheckIntervals.InitialDelay(config, max => max == 2000 ? 1234 : -1));
        Assert.Equal(TimeSpan.FromMilliseconds(1), HealthCheckIntervals.InitialDelay(config, _ => 0));
    }

    [Fact]
    public void Session_EdgeIntervalsAfterTraffic_ScheduledAsConfigured()
    {
        var config = Tuned with { UnhealthyThreshold = 2, HealthyThreshold = 2 };
        using var test = new HealthTestCluster(HealthTestCluster.Config(config), [10001]);
        var probe = test.Probe(10001);
        test.MarkTraffic();
        test.RunDueChecks();
        Assert.Equal(1, probe.Calls);

        // Healthy and settled: interval (10 s).
        test.Advance(9.9);
        Assert.Equal(1, probe.Calls);
        test.Advance(0.1);
        Assert.Equal(2, probe.Calls);

        // First failure of a healthy host is pending: unhealthy_edge_interval (2 s).
        probe.FailNetwork();
        test.Advance(10);
        Assert.Equal(3, probe.Calls);
        test.Advance(2);
        Assert.Equal(4, probe.Calls);
        Assert.True(test.Host(10001).HealthFlags.HasFlag(Kubegate.Clusters.HealthFlags.FailedActiveHc));

        // Failed and settled: unhealthy_interval (20 s).
        test.Advance(19.9);
        Assert.Equal(4, probe.Calls);
        test.Advance(0.1);
        Assert.Equal(5, probe.Calls);

        // First pass of an unhealthy host is pending: healthy_edge_interval (3 s).
        probe.Pass();
        test.Advance(20);
        Assert.Equal(6, probe.Calls);
        test.Advance(3);
        Assert.Equal(7, probe.Calls);
        Assert.False(test.Host(10001).HealthFlags.HasFlag(Kubegate.Clusters.HealthFlags.FailedActiveHc));
    }
}
