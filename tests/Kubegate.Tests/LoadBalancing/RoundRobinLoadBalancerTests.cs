using Kubegate.Clusters;
using Kubegate.LoadBalancing;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.LoadBalancing;

public class RoundRobinLoadBalancerTests
{
    [Fact]
    public void Pick_EqualWeights_NPicksHitEachHostOnceInOrder()
    {
        var hosts = TestEndpoints.Hosts(5);
        var set = TestEndpoints.Set(hosts);
        var balancer = new RoundRobinLoadBalancer();

        var picks = Enumerable.Range(0, hosts.Length).Select(_ => balancer.Pick(set)).ToArray();

        // A fresh balancer starts at the first host and walks the set in order.
        Assert.Equal(hosts, picks);
    }

    [Fact]
    public void Pick_EqualWeightsManyRounds_EveryHostEquallyOften()
    {
        var hosts = TestEndpoints.Hosts(3);
        var balancer = new RoundRobinLoadBalancer();
        var set = TestEndpoints.Set(hosts);

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, 3 * 1000);

        Assert.All(counts.Values, c => Assert.Equal(1000, c));
    }

    [Fact]
    public void Pick_Weighted511_ExactCountsPerPeriodAndSpread()
    {
        var hosts = TestEndpoints.Hosts(5, 1, 1);
        var set = TestEndpoints.Set(hosts);
        var balancer = new RoundRobinLoadBalancer();

        var period = Enumerable.Range(0, 7).Select(_ => balancer.Pick(set)!).ToArray();

        Assert.Equal(5, period.Count(h => h == hosts[0]));
        Assert.Equal(1, period.Count(h => h == hosts[1]));
        Assert.Equal(1, period.Count(h => h == hosts[2]));
        Assert.True(MaxRun(period) <= 3, $"max run {MaxRun(period)} in {string.Join(' ', period.Select(h => h.EndPoint.Port))}");

        // The next periods repeat the same exact counts.
        var more = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, 7 * 100);
        Assert.Equal([500, 100, 100], hosts.Select(h => more[h]));
    }

    [Fact]
    public void WeightedSchedule_Weights511_IsSmoothNginxOrder()
    {
        var set = TestEndpoints.Set(TestEndpoints.Hosts(5, 1, 1));

        // The order the type documents (nginx's smooth weighted round robin): a a b a c a a.
        Assert.Equal([0, 0, 1, 0, 2, 0, 0], set.WeightedSchedule);
    }

    [Fact]
    public void WeightedSchedule_CommonDivisor_ReducedToShortestPeriod()
    {
        var set = TestEndpoints.Set(TestEndpoints.Hosts(500, 100, 100));

        Assert.Equal(7, set.WeightedSchedule.Length);
    }

    [Fact]
    public void WeightedSchedule_LargeWeights_CappedAndKeepsRatios()
    {
        // gcd 1 and a total of ~2^33: the schedule would be billions of entries long without the cap.
        var hosts = TestEndpoints.Hosts(uint.MaxValue, uint.MaxValue / 2, 3_000_001);
        var set = TestEndpoints.Set(hosts);

        var schedule = set.WeightedSchedule;

        Assert.InRange(schedule.Length, 1, EndpointSet.MaxScheduleLength);
        double total = hosts.Sum(h => (double)h.Weight);
        for (var i = 0; i < hosts.Length; i++)
        {
            var expected = hosts[i].Weight / total;
            var actual = schedule.Count(s => s == i) / (double)schedule.Length;
            Assert.True(Math.Abs(expected - actual) <= 2.0 / EndpointSet.MaxScheduleLength, $"host {i}: expected share {expected}, got {actual}");
        }
    }

    [Fact]
    public void WeightedSchedule_TinyWeightNextToHugeOne_StillScheduled()
    {
        // Scaling would round weight 1 down to zero; the host must keep at least one slot.
        var hosts = TestEndpoints.Hosts(uint.MaxValue, 1);
        var set = TestEndpoints.Set(hosts);

        Assert.Contains(1, set.WeightedSchedule);
        Assert.True(set.WeightedSchedule.Length <= EndpointSet.MaxScheduleLength + 1);
    }

    [Fact]
    public void Pick_LargeCoprimeWeights_FollowsCappedScheduleRatio()
    {
        // gcd 1, total 300,001 > MaxScheduleLength: the balancer walks the scaled-down schedule.
        var hosts = TestEndpoints.Hosts(200_001, 100_000);
        var set = TestEndpoints.Set(hosts);
        var balancer = new RoundRobinLoadBalancer();

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, 2 * EndpointSet.MaxScheduleLength);

        Assert.InRange(counts[hosts[0]] / (double)counts[hosts[1]], 1.999, 2.001);
    }

    [Fact]
    public void Pick_EmptySet_ReturnsNull()
    {
        var balancer = new RoundRobinLoadBalancer();

        Assert.Null(balancer.Pick(EndpointSet.Empty));
        Assert.Null(balancer.Pick(TestEndpoints.Set()));
    }

    [Fact]
    public void Pick_SingleHost_AlwaysThatHost()
    {
        var host = TestEndpoints.Host(10001, weight: 7);
        var set = TestEndpoints.Set(host);
        var balancer = new RoundRobinLoadBalancer();

        Assert.All(Enumerable.Range(0, 10).Select(_ => balancer.Pick(set)), h => Assert.Same(host, h));
    }

    [Fact]
    public async Task Pick_ConcurrentCallers_EveryHostEquallyOften()
    {
        var hosts = TestEndpoints.Hosts(4);
        var set = TestEndpoints.Set(hosts);
        var balancer = new RoundRobinLoadBalancer();
        var counts = new int[hosts.Length];

        // 4 threads × 10,000 picks: the interlocked cursor hands out every index exactly once.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                Interlocked.Increment(ref counts[Array.IndexOf(hosts, balancer.Pick(set))]);
            }
        }))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(counts, c => Assert.Equal(10_000, c));
    }

    private static int MaxRun(EndpointState[] picks)
    {
        var max = 0;
        var run = 0;
        for (var i = 0; i < picks.Length; i++)
        {
            run = i > 0 && picks[i] == picks[i - 1] ? run + 1 : 1;
            max = Math.Max(max, run);
        }

        return max;
    }
}
