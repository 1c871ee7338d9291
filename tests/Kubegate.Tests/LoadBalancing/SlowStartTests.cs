using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;
using Kubegate.Tests.Clusters;
using Kubegate.Tests.Health;

namespace Kubegate.Tests.LoadBalancing;

public class SlowStartTests
{
    [Theory]
    [InlineData(0.0, 1.0, 10.0, 0.1)] // max(1 s, age) / 100 s = 0.01, raised to the 10 % floor
    [InlineData(30.0, 1.0, 10.0, 0.3)] // linear
    [InlineData(25.0, 2.0, 10.0, 0.5)] // (25/100)^(1/2)
    [InlineData(1.0, 0.5, 0.0, 0.0001)] // (1/100)^2, no floor
    [InlineData(100.0, 1.0, 10.0, 1.0)] // window over: full weight
    public void Factor_IsEnvoysFormula(double ageSeconds, double aggression, double minWeightPercent, double expected)
    {
        var config = new SlowStartConfig(TimeSpan.FromSeconds(100), aggression, minWeightPercent);

        Assert.Equal(expected, config.Factor(TimeSpan.FromSeconds(ageSeconds)), 9);
    }

    [Theory]
    [InlineData("ROUND_ROBIN", 1.0)]
    [InlineData("ROUND_ROBIN", 2.0)]
    [InlineData("LEAST_REQUEST", 1.0)]
    public void RecoveredHost_ShareOfNewConnectionsFollowsTheCurve(string lbPolicy, double aggression)
    {
        var policy = lbPolicy == "ROUND_ROBIN" ? LbPolicy.RoundRobin : LbPolicy.LeastRequest;
        var time = new ManualTimeProvider();
        var slowStart = new SlowStartConfig(TimeSpan.FromSeconds(60), aggression, 10);
        var config = new ClusterConfig { Name = "c1", LbPolicy = policy, SlowStart = slowStart };
        var assignment = new ClusterLoadAssignmentConfig { ClusterName = "c1", Endpoints = [TestEndpoints.Config(10001), TestEndpoints.Config(10002), TestEndpoints.Config(10003)] };
        var cluster = new ClusterState(config, assignment, new StatsStore(), LoadBalancerFactory.For(new Random(42), time), time: time);
        var recovering = cluster.AllHosts.Hosts[2];

        // The host fails (EDS says so) and comes back: it turned available again "now".
        recovering.UpdateHealthFlags(HealthFlags.FailedEdsHealth, HealthFlags.None);
        cluster.RecomputeAvailability();
        time.Advance(TimeSpan.FromSeconds(5));
        recovering.UpdateHealthFlags(HealthFlags.None, HealthFlags.FailedEdsHealth);
        cluster.RecomputeAvailability();

        foreach (var ageSeconds in new[] { 0, 6, 15, 30, 45, 59, 61 })
        {
            var since = time.Elapsed;
            time.Advance(TimeSpan.FromSeconds(ageSeconds) - (since - TimeSpan.FromSeconds(5)));
            const int picks = 20_000;
            var share = Enumerable.Range(0, picks).Count(_ => cluster.Pick() == recovering) / (double)picks;

            var factor = slowStart.Factor(TimeSpan.FromSeconds(ageSeconds));
            var expected = factor / (2 + factor);
            Assert.True(Math.Abs(share - expected) < 0.015, $"age {ageSeconds}s: share {share:F4}, Envoy's formula gives {expected:F4}");
        }
    }

    [Fact]
    public void HostsOfANewCluster_DoNotStartSlowly()
    {
        var time = new ManualTimeProvider();
        var config = new ClusterConfig { Name = "c1", SlowStart = new SlowStartConfig(TimeSpan.FromSeconds(60)) };
        var assignment = new ClusterLoadAssignmentConfig { ClusterName = "c1", Endpoints = [TestEndpoints.Config(10001), TestEndpoints.Config(10002)] };
        var cluster = new ClusterState(config, assignment, new StatsStore(), LoadBalancerFactory.For(new Random(1), time), time: time);

        var counts = TestEndpoints.CountPicks(cluster.Pick, cluster.AllHosts.Hosts, 1000);

        // Plain rotation: exact halves.
        Assert.All(counts.Values, c => Assert.Equal(500, c));
    }

    [Fact]
    public void HostsOfANewCluster_FirstPassingCheck_IsNotARecovery()
    {
        var time = new ManualTimeProvider();
        var config = new ClusterConfig { Name = "c1", SlowStart = new SlowStartConfig(TimeSpan.FromSeconds(60)) };
        var assignment = new ClusterLoadAssignmentConfig { ClusterName = "c1", Endpoints = [TestEndpoints.Config(10001), TestEndpoints.Config(10002)] };
        // As with active checks: every host starts failed until its first check, which then passes.
        var cluster = new ClusterState(config, assignment, new StatsStore(), LoadBalancerFactory.For(new Random(1), time), _ => new PendingFirstCheck(), time);
        Assert.Equal(0, cluster.AvailableHosts.Hosts.Count(h => h.IsHealthy));
        time.Advance(TimeSpan.FromSeconds(1));
        foreach (var host in cluster.AllHosts.Hosts)
        {
            host.UpdateHealthFlags(HealthFlags.None, HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc);
            cluster.RecomputeAvailability();
        }

        Assert.All(cluster.AllHosts.Hosts, h => Assert.Equal(long.MinValue, h.AvailableSince));
        Assert.All(TestEndpoints.CountPicks(cluster.Pick, cluster.AllHosts.Hosts, 1000).Values, c => Assert.Equal(500, c));
    }

    [Fact]
    public void HostAddedByAnUpdate_StartsSlowly()
    {
        var time = new ManualTimeProvider();
        var config = new ClusterConfig { Name = "c1", SlowStart = new SlowStartConfig(TimeSpan.FromSeconds(100)) };
        var one = new ClusterLoadAssignmentConfig { ClusterName = "c1", Endpoints = [TestEndpoints.Config(10001)] };
        var cluster = new ClusterState(config, one, new StatsStore(), LoadBalancerFactory.For(new Random(7), time), time: time);
        time.Advance(TimeSpan.FromSeconds(10));

        cluster.Update(config, one with { Endpoints = [TestEndpoints.Config(10001), TestEndpoints.Config(10002)] });
        time.Advance(TimeSpan.FromSeconds(50));
        var added = cluster.AllHosts.Hosts[1];
        var share = Enumerable.Range(0, 20_000).Count(_ => cluster.Pick() == added) / 20_000.0;

        // 50 s into a 100 s window: weight 0.5 against 1.
        Assert.InRange(share, (0.5 / 1.5) - 0.015, (0.5 / 1.5) + 0.015);
    }

    /// <summary>A health monitor that only gives new hosts the flags active checking gives them.</summary>
    private sealed class PendingFirstCheck : IClusterHealthMonitor
    {
        public HealthFlags InitialFlags(ClusterConfig config, EndpointState host) => HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc;

        public bool KeepOnRemoval(ClusterConfig config, EndpointState host) => false;

        public void OnConnectResult(EndpointState host, UpstreamConnectResult result)
        {
        }

        public void OnMembershipChanged(ClusterConfig config, IReadOnlyList<EndpointState> hosts, IReadOnlyList<EndpointState> added, IReadOnlyList<EndpointState> removed)
        {
        }

        public void Dispose()
        {
        }
    }
}
