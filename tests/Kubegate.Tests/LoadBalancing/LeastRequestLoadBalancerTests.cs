using Kubegate.Clusters;
using Kubegate.LoadBalancing;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.LoadBalancing;

public class LeastRequestLoadBalancerTests
{
    private const int Picks = 10_000;

    [Fact]
    public void Pick_TwoHostsP2C_AlwaysTheLessLoaded()
    {
        var busy = TestEndpoints.Host(10001).WithActive(3);
        var idle = TestEndpoints.Host(10002).WithActive(1);
        var set = TestEndpoints.Set(busy, idle);
        var balancer = new LeastRequestLoadBalancer(random: new Random(1));

        // With two hosts both are always the two choices, so the less loaded one wins every time.
        Assert.All(Enumerable.Range(0, 1000).Select(_ => balancer.Pick(set)), h => Assert.Same(idle, h));
    }

    [Fact]
    public void Pick_MoreActiveRequests_PickedLessOften()
    {
        var hosts = TestEndpoints.Hosts(4);
        hosts[0].WithActive(5);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(random: new Random(42));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        // P2C over 4 hosts: the loaded host wins no pair (0 picks); the others share the rest evenly.
        Assert.Equal(0, counts[hosts[0]]);
        Assert.All(hosts[1..], h => Assert.InRange(counts[h], Picks / 3 * 0.9, Picks / 3 * 1.1));
    }

    [Fact]
    public void Pick_EqualLoad_RoughlyUniform()
    {
        var hosts = TestEndpoints.Hosts(5);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(random: new Random(7));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        Assert.All(hosts, h => Assert.InRange(counts[h], Picks / 5 * 0.9, Picks / 5 * 1.1));
    }

    [Fact]
    public void Pick_ChoiceCount3OverThreeHosts_AlwaysTheLeastLoaded()
    {
        var hosts = TestEndpoints.Hosts(3);
        hosts[0].WithActive(2);
        hosts[1].WithActive(1);
        hosts[2].WithActive(3);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(choiceCount: 3, random: new Random(3));

        Assert.All(Enumerable.Range(0, 1000).Select(_ => balancer.Pick(set)), h => Assert.Same(hosts[1], h));
    }

    [Fact]
    public void Pick_ChoiceCount2OverThreeHosts_LeastLoadedTwoThirdsMostLoadedNever()
    {
        var hosts = TestEndpoints.Hosts(3);
        hosts[0].WithActive(2);
        hosts[1].WithActive(1);
        hosts[2].WithActive(3);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(choiceCount: 2, random: new Random(3));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        // Two distinct choices out of three: the least loaded is in 2 of the 3 pairs, the most loaded wins none.
        Assert.InRange(counts[hosts[1]], Picks * 2 / 3 * 0.95, Picks * 2 / 3 * 1.05);
        Assert.Equal(0, counts[hosts[2]]);
    }

    [Fact]
    public void Pick_ChoiceCount3OverTenHosts_TwoMostLoadedNeverPicked()
    {
        var hosts = TestEndpoints.Hosts(10);
        for (var i = 0; i < hosts.Length; i++)
        {
            hosts[i].WithActive(i);
        }

        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(choiceCount: 3, random: new Random(11));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        // Three distinct choices always include one of the eight less loaded hosts.
        Assert.Equal(0, counts[hosts[8]]);
        Assert.Equal(0, counts[hosts[9]]);

        // The least loaded host wins whenever it is drawn: 3 in 10 (P2C would give 2 in 10).
        Assert.InRange(counts[hosts[0]], Picks * 0.3 * 0.9, Picks * 0.3 * 1.1);
    }

    [Fact]
    public void Pick_UnequalWeightsNoLoad_FollowsWeights()
    {
        var hosts = TestEndpoints.Hosts(3, 1);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(random: new Random(5));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        Assert.InRange(counts[hosts[0]], Picks * 0.75 * 0.95, Picks * 0.75 * 1.05);
    }

    [Fact]
    public void Pick_UnequalWeightsWithLoad_FollowsEffectiveWeight()
    {
        // Effective weights 3 / (2 + 1) = 1 and 1 / (0 + 1) = 1: an even split.
        var hosts = TestEndpoints.Hosts(3, 1);
        hosts[0].WithActive(2);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(random: new Random(5));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        Assert.InRange(counts[hosts[0]], Picks * 0.5 * 0.93, Picks * 0.5 * 1.07);
    }

    [Fact]
    public void Pick_UnequalWeightsBias2_LoadCountsSquared()
    {
        // Effective weights 8 / (1 + 1)^2 = 2 and 1 / 1 = 1: two thirds to the heavy host.
        var hosts = TestEndpoints.Hosts(8, 1);
        hosts[0].WithActive(1);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(activeRequestBias: 2.0, random: new Random(9));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        Assert.InRange(counts[hosts[0]], Picks * 2 / 3 * 0.95, Picks * 2 / 3 * 1.05);
    }

    [Fact]
    public void Pick_UnequalWeightsBias0_IgnoresLoad()
    {
        var hosts = TestEndpoints.Hosts(3, 1);
        hosts[0].WithActive(100);
        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(activeRequestBias: 0, random: new Random(5));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);

        Assert.InRange(counts[hosts[0]], Picks * 0.75 * 0.95, Picks * 0.75 * 1.05);
    }

    [Fact]
    public void Pick_EmptySet_ReturnsNull()
    {
        var balancer = new LeastRequestLoadBalancer(random: new Random(1));

        Assert.Null(balancer.Pick(EndpointSet.Empty));
    }

    [Fact]
    public void Pick_SingleHost_ReturnsItWhateverItsLoad()
    {
        var host = TestEndpoints.Host(10001).WithActive(50);
        var balancer = new LeastRequestLoadBalancer(random: new Random(1));

        Assert.Same(host, balancer.Pick(TestEndpoints.Set(host)));
    }

    [Fact]
    public void Pick_MoreHostsThanStackLimit_StillPrefersLessLoaded()
    {
        // 300 hosts takes the sampling-with-replacement branch; the loaded half must still lose most pairs.
        var hosts = TestEndpoints.Hosts(300);
        for (var i = 0; i < 150; i++)
        {
            hosts[i].WithActive(1);
        }

        var set = TestEndpoints.Set(hosts);
        var balancer = new LeastRequestLoadBalancer(random: new Random(13));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, Picks);
        var loadedShare = hosts[..150].Sum(h => counts[h]) / (double)Picks;

        // Both choices must land in the loaded half: about 1/4.
        Assert.InRange(loadedShare, 0.2, 0.3);
    }

    [Fact]
    public void Constructor_ChoiceCountBelowTwo_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeastRequestLoadBalancer(choiceCount: 1));
    }
}
