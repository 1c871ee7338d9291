using Kubegate.Clusters;
using Kubegate.Proxy;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.Proxy;

public class GentleCloserTests
{
    [Fact]
    public void Excess_AfterARecovery_ClosesDownToTheToleranceOfTheShare()
    {
        var hosts = new[] { TestEndpoints.Host(10001).WithActive(400), TestEndpoints.Host(10002) };

        var excess = GentleCloser.Excess(hosts, tolerancePercent: 10);

        // Fair share 200 each; within 10 % means at most 220 on the full one.
        Assert.Equal(180, Assert.Single(excess, e => e.Key == hosts[0]).Value);
        Assert.DoesNotContain(hosts[1], excess.Keys);
    }

    [Fact]
    public void Excess_WithinTolerance_IsEmpty()
    {
        var hosts = new[] { TestEndpoints.Host(10001).WithActive(210), TestEndpoints.Host(10002).WithActive(190) };

        Assert.Empty(GentleCloser.Excess(hosts, tolerancePercent: 10));
    }

    [Fact]
    public void Excess_FollowsWeights()
    {
        var hosts = new[] { TestEndpoints.Host(10001, weight: 3).WithActive(100), TestEndpoints.Host(10002, weight: 1).WithActive(100) };

        var excess = GentleCloser.Excess(hosts, tolerancePercent: 0);

        // Shares 150 and 50: the light host is the over-full one.
        Assert.Equal(50, excess[hosts[1]]);
        Assert.Single(excess);
    }

    [Fact]
    public void AgeLimit_IsSpreadOverTheJitterAndFixedPerConnection()
    {
        var maxAge = TimeSpan.FromSeconds(100);

        var limits = Enumerable.Range(1, 1000).Select(id => GentleCloser.AgeLimit(id, maxAge, jitterPercent: 20)).ToArray();

        Assert.All(limits, l => Assert.InRange(l, 80_000, 100_000));
        Assert.True(limits.Max() - limits.Min() > 15_000, $"limits span {limits.Min()}..{limits.Max()} ms");
        Assert.Equal(limits[41], GentleCloser.AgeLimit(42, maxAge, jitterPercent: 20));
        Assert.Equal(100_000, GentleCloser.AgeLimit(42, maxAge, jitterPercent: 0));
    }
}
