using Kubegate.Configuration;
using Kubegate.LoadBalancing;

namespace Kubegate.Tests.LoadBalancing;

public class LoadBalancerFactoryTests
{
    [Theory]
    [InlineData((int)LbPolicy.RoundRobin, typeof(RoundRobinLoadBalancer))]
    [InlineData((int)LbPolicy.LeastRequest, typeof(LeastRequestLoadBalancer))]
    [InlineData((int)LbPolicy.Random, typeof(RandomLoadBalancer))]
    public void Create_Policy_MatchingBalancer(int policy, Type expected)
    {
        var balancer = LoadBalancerFactory.Create(new ClusterConfig { Name = "c", LbPolicy = (LbPolicy)policy });

        Assert.IsType(expected, balancer);
    }

    [Fact]
    public void Create_UnknownPolicy_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LoadBalancerFactory.Create(new ClusterConfig { Name = "c", LbPolicy = (LbPolicy)42 }));
    }
}
