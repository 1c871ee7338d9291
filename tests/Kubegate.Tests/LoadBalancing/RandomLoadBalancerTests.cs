using Kubegate.Clusters;
using Kubegate.LoadBalancing;
using Kubegate.Tests.Clusters;

namespace Kubegate.Tests.LoadBalancing;

public class RandomLoadBalancerTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2024)]
    [InlineData(99_991)]
    public void Pick_Seeded10kPicks_EachHostWithinTenPercentOfExpected(int seed)
    {
        var hosts = TestEndpoints.Hosts(4);
        var set = TestEndpoints.Set(hosts);
        var balancer = new RandomLoadBalancer(new Random(seed));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, 10_000);

        Assert.All(hosts, h => Assert.InRange(counts[h], 2500 * 0.9, 2500 * 1.1));
    }

    [Fact]
    public void Pick_UnequalWeights_StillUniform()
    {
        // Envoy's classic random balancer ignores weights; kubegate documents the same.
        var hosts = TestEndpoints.Hosts(10, 1);
        var set = TestEndpoints.Set(hosts);
        var balancer = new RandomLoadBalancer(new Random(3));

        var counts = TestEndpoints.CountPicks(() => balancer.Pick(set), hosts, 10_000);

        Assert.All(hosts, h => Assert.InRange(counts[h], 5000 * 0.9, 5000 * 1.1));
    }

    [Fact]
    public void Pick_SameSeed_SameSequence()
    {
        var hosts = TestEndpoints.Hosts(6);
        var set = TestEndpoints.Set(hosts);
        var first = new RandomLoadBalancer(new Random(17));
        var second = new RandomLoadBalancer(new Random(17));

        var a = Enumerable.Range(0, 100).Select(_ => first.Pick(set)).ToArray();
        var b = Enumerable.Range(0, 100).Select(_ => second.Pick(set)).ToArray();

        Assert.Equal(a, b);
        Assert.True(a.Distinct().Count() > 1);
    }

    [Fact]
    public void Pick_EmptySet_ReturnsNull()
    {
        Assert.Null(new RandomLoadBalancer(new Random(1)).Pick(EndpointSet.Empty));
    }

    [Fact]
    public void Pick_SingleHost_ReturnsIt()
    {
        var host = TestEndpoints.Host(10001);

        Assert.Same(host, new RandomLoadBalancer(new Random(1)).Pick(TestEndpoints.Set(host)));
    }
}
