using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.LoadBalancing;
using Kubegate.Stats;

namespace Kubegate.Tests.Clusters;

public class ClusterStateTests
{
    private readonly StatsStore _stats = new();

    [Fact]
    public void Update_UnchangedAddress_KeepsEndpointStateAndCounters()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002)));
        var kept = cluster.AllHosts.Hosts[0];
        kept.OnConnectStarted();
        kept.OnConnectFailed(timedOut: false);
        kept.OnConnectStarted();

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10003)));

        Assert.Same(kept, cluster.AllHosts.Hosts[0]);
        Assert.Equal(2, kept.CxTotal);
        Assert.Equal(1, kept.CxConnectFail);
        Assert.Equal(1, kept.ActiveRequests);
    }

    [Fact]
    public void Update_RemovedAddress_Dropped()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002)));
        var removed = cluster.AllHosts.Hosts[1];

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10003)));

        Assert.DoesNotContain(removed, cluster.AllHosts.Hosts);
        Assert.DoesNotContain(removed, cluster.AvailableHosts.Hosts);
        Assert.Equal([10001, 10003], cluster.AllHosts.Hosts.Select(h => h.EndPoint.Port));
    }

    [Fact]
    public void Update_ReAddedAddress_StartsFresh()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001)));
        var original = cluster.AllHosts.Hosts[0];
        original.OnConnectStarted();

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10002)));
        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001)));

        Assert.NotSame(original, cluster.AllHosts.Hosts[0]);
        Assert.Equal(0, cluster.AllHosts.Hosts[0].CxTotal);
    }

    [Fact]
    public void Update_ChangedWeight_SameObjectNewWeight()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001, weight: 1), TestEndpoints.Config(10002)));
        var host = cluster.AllHosts.Hosts[0];

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001, weight: 5), TestEndpoints.Config(10002)));

        Assert.Same(host, cluster.AllHosts.Hosts[0]);
        Assert.Equal(5u, host.Weight);
        Assert.False(cluster.AllHosts.EqualWeights);
        Assert.Equal(5, _stats.GetValue("cluster.c.max_host_weight"));
    }

    [Fact]
    public void Update_NullAssignment_KeepsHosts()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001)));
        var host = cluster.AllHosts.Hosts[0];

        cluster.Update(Config() with { ConnectTimeout = TimeSpan.FromSeconds(1) }, assignment: null);

        Assert.Same(host, Assert.Single(cluster.AllHosts.Hosts));
        Assert.Equal(TimeSpan.FromSeconds(1), cluster.Config.ConnectTimeout);
    }

    [Fact]
    public void Update_Membership_GaugesAndChangeCounter()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002), TestEndpoints.Config(10003)));
        Assert.Equal(3, _stats.GetValue("cluster.c.membership_total"));
        Assert.Equal(3, _stats.GetValue("cluster.c.membership_healthy"));
        var changes = _stats.GetValue("cluster.c.membership_change");

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy)));

        Assert.Equal(2, _stats.GetValue("cluster.c.membership_total"));
        Assert.Equal(1, _stats.GetValue("cluster.c.membership_healthy"));
        Assert.Equal(changes + 1, _stats.GetValue("cluster.c.membership_change"));

        // Same hosts again: no membership change.
        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy)));
        Assert.Equal(changes + 1, _stats.GetValue("cluster.c.membership_change"));
    }

    [Theory]
    [InlineData((int)EndpointHealthStatus.Unhealthy)]
    [InlineData((int)EndpointHealthStatus.Timeout)]
    [InlineData((int)EndpointHealthStatus.Draining)]
    public void Update_EdsUnhealthyStatus_ExcludedFromAvailable(int statusValue)
    {
        // (The enum is internal, so the theory takes its value.)
        var status = (EndpointHealthStatus)statusValue;
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002, health: status), TestEndpoints.Config(10003)));

        Assert.Equal(3, cluster.AllHosts.Count);
        Assert.Equal([10001, 10003], cluster.AvailableHosts.Hosts.Select(h => h.EndPoint.Port));
        Assert.False(cluster.InPanic);
        var picks = Enumerable.Range(0, 20).Select(_ => cluster.Pick()!.EndPoint.Port).ToArray();
        Assert.DoesNotContain(10002, picks);
    }

    [Fact]
    public void Update_EdsHealthRecovers_HostBackInRotation()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy)));
        var host = cluster.AllHosts.Hosts[1];
        Assert.Equal(HealthFlags.FailedEdsHealth, host.HealthFlags);

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002, health: EndpointHealthStatus.Healthy)));

        Assert.Same(host, cluster.AllHosts.Hosts[1]);
        Assert.True(host.IsHealthy);
        Assert.Equal(2, cluster.AvailableHosts.Count);
    }

    [Fact]
    public void Update_EdsUpdate_KeepsFlagsOfOtherHealthSources()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002)));
        var host = cluster.AllHosts.Hosts[0];
        host.UpdateHealthFlags(HealthFlags.FailedActiveHc, HealthFlags.None);

        cluster.Update(Config(), Assignment(TestEndpoints.Config(10001, health: EndpointHealthStatus.Healthy), TestEndpoints.Config(10002)));

        // EDS owns only its own flags: the active health check's verdict survives an EDS update.
        Assert.Equal(HealthFlags.FailedActiveHc, host.HealthFlags);
        Assert.DoesNotContain(host, cluster.AvailableHosts.Hosts);
    }

    [Fact]
    public void Pick_OneOfThreeHealthyThreshold50_PanicUsesAllAndCountsEachPick()
    {
        var cluster = NewCluster(Config(), Assignment(
            TestEndpoints.Config(10001),
            TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy),
            TestEndpoints.Config(10003, health: EndpointHealthStatus.Unhealthy)));

        Assert.True(cluster.InPanic);
        Assert.Same(cluster.AllHosts, cluster.AvailableHosts);
        Assert.Equal(1, _stats.GetValue("cluster.c.membership_healthy"));

        var picks = Enumerable.Range(0, 6).Select(_ => cluster.Pick()!.EndPoint.Port).ToArray();

        Assert.Equal([10001, 10002, 10003, 10001, 10002, 10003], picks);
        Assert.Equal(6, _stats.GetValue("cluster.c.lb_healthy_panic"));
    }

    [Fact]
    public void Pick_TwoOfThreeHealthy_NoPanicOnlyHealthy()
    {
        var cluster = NewCluster(Config(), Assignment(
            TestEndpoints.Config(10001),
            TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy),
            TestEndpoints.Config(10003)));

        var picks = Enumerable.Range(0, 4).Select(_ => cluster.Pick()!.EndPoint.Port).ToArray();

        Assert.False(cluster.InPanic);
        Assert.Equal([10001, 10003, 10001, 10003], picks);
        Assert.Equal(0, _stats.GetValue("cluster.c.lb_healthy_panic"));
    }

    [Fact]
    public void Pick_HalfHealthyThreshold50_NotPanic()
    {
        // Envoy panics only when the healthy share is strictly below the threshold.
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy)));

        Assert.False(cluster.InPanic);
        Assert.Same(cluster.AllHosts.Hosts[0], Assert.Single(cluster.AvailableHosts.Hosts));
    }

    [Fact]
    public void Pick_NoneHealthyThreshold0_ReturnsNull()
    {
        var cluster = NewCluster(Config() with { HealthyPanicThreshold = 0 }, Assignment(
            TestEndpoints.Config(10001, health: EndpointHealthStatus.Unhealthy),
            TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy)));

        Assert.False(cluster.InPanic);
        Assert.Null(cluster.Pick());
        Assert.Equal(0, _stats.GetValue("cluster.c.lb_healthy_panic"));
    }

    [Fact]
    public void Pick_NoneHealthyDefaultThreshold_PanicRoutesToAll()
    {
        var cluster = NewCluster(Config(), Assignment(
            TestEndpoints.Config(10001, health: EndpointHealthStatus.Unhealthy),
            TestEndpoints.Config(10002, health: EndpointHealthStatus.Unhealthy)));

        Assert.NotNull(cluster.Pick());
        Assert.True(cluster.InPanic);
        Assert.Equal(1, _stats.GetValue("cluster.c.lb_healthy_panic"));
    }

    [Fact]
    public void Pick_EmptyCluster_NullWithoutPanic()
    {
        var cluster = NewCluster(Config(), Assignment());

        Assert.Null(cluster.Pick());
        Assert.False(cluster.InPanic);
        Assert.Equal(0, _stats.GetValue("cluster.c.membership_total"));
    }

    [Fact]
    public void RecomputeAvailability_HealthFlagChange_AppliedAfterRecompute()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002), TestEndpoints.Config(10003)));
        var failing = cluster.AllHosts.Hosts[2];

        failing.UpdateHealthFlags(HealthFlags.FailedActiveHc, HealthFlags.None);
        cluster.RecomputeAvailability();

        Assert.Equal(2, cluster.AvailableHosts.Count);
        Assert.Equal(2, _stats.GetValue("cluster.c.membership_healthy"));

        failing.UpdateHealthFlags(HealthFlags.None, HealthFlags.FailedActiveHc);
        cluster.RecomputeAvailability();

        Assert.Equal(3, cluster.AvailableHosts.Count);
    }

    [Fact]
    public void Update_SamePolicy_KeepsBalancerPosition()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002), TestEndpoints.Config(10003)));
        Assert.Equal(10001, cluster.Pick()!.EndPoint.Port);

        cluster.Update(Config() with { ConnectTimeout = TimeSpan.FromSeconds(2) }, assignment: null);

        // The round-robin cursor survives an update that keeps lb_policy.
        Assert.Equal(10002, cluster.Pick()!.EndPoint.Port);
    }

    [Fact]
    public void Update_LbPolicyChanged_NewBalancer()
    {
        var cluster = NewCluster(Config(), Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002)));
        var busy = cluster.AllHosts.Hosts[1].WithActive(5);
        Assert.Equal(10001, cluster.Pick()!.EndPoint.Port);
        Assert.Equal(10002, cluster.Pick()!.EndPoint.Port);

        // LEAST_REQUEST (P2C over two hosts) never picks the busy host, which round robin would every other time.
        cluster.Update(Config() with { LbPolicy = LbPolicy.LeastRequest }, assignment: null);
        Assert.All(Enumerable.Range(0, 10).Select(_ => cluster.Pick()), h => Assert.NotSame(busy, h));

        // Back to ROUND_ROBIN: a fresh balancer starts at the first host again.
        cluster.Update(Config(), assignment: null);
        Assert.Equal([10001, 10002], Enumerable.Range(0, 2).Select(_ => cluster.Pick()!.EndPoint.Port));
    }

    [Fact]
    public void Update_ChoiceCountChanged_NewBalancer()
    {
        var config = Config() with { LbPolicy = LbPolicy.LeastRequest };
        var cluster = NewCluster(config, Assignment(TestEndpoints.Config(10001), TestEndpoints.Config(10002), TestEndpoints.Config(10003)));
        cluster.AllHosts.Hosts[0].WithActive(2);
        cluster.AllHosts.Hosts[2].WithActive(1);

        cluster.Update(config with { LeastRequestChoiceCount = 3 }, assignment: null);

        // Three distinct choices over three hosts: the idle host every time.
        Assert.All(Enumerable.Range(0, 50).Select(_ => cluster.Pick()), h => Assert.Same(cluster.AllHosts.Hosts[1], h));
    }

    [Fact]
    public void Stats_AltStatName_UsedAsScope()
    {
        NewCluster(Config() with { AltStatName = "alt" }, Assignment(TestEndpoints.Config(10001)));

        Assert.Equal(1, _stats.TryGetValue("cluster.alt.membership_total"));
        Assert.Null(_stats.TryGetValue("cluster.c.membership_total"));
    }

    [Fact]
    public void Pick_OneHealthyTwoEdsDegraded_NotInPanic()
    {
        // Envoy counts degraded hosts as available (spec 3.2/3.5): healthy + degraded = 100 % is far above the
        // 50 % panic threshold, so this is not panic and lb_healthy_panic must not count.
        var cluster = NewCluster(Config(), Assignment(
            TestEndpoints.Config(10001),
            TestEndpoints.Config(10002, health: EndpointHealthStatus.Degraded),
            TestEndpoints.Config(10003, health: EndpointHealthStatus.Degraded)));

        cluster.Pick();

        Assert.False(cluster.InPanic);
        Assert.Equal(0, _stats.GetValue("cluster.c.lb_healthy_panic"));
    }

    [Fact]
    public void Pick_AllEdsDegradedPanicDisabled_StillPicksAHost()
    {
        // Degraded hosts still serve (Envoy's degraded load), so with panic disabled this must not be UH.
        var cluster = NewCluster(Config() with { HealthyPanicThreshold = 0 }, Assignment(
            TestEndpoints.Config(10001, health: EndpointHealthStatus.Degraded),
            TestEndpoints.Config(10002, health: EndpointHealthStatus.Degraded)));

        Assert.NotNull(cluster.Pick());
    }

    private ClusterState NewCluster(ClusterConfig config, ClusterLoadAssignmentConfig assignment) => new(config, assignment, _stats, LoadBalancerFactory.For());

    private static ClusterConfig Config() => new() { Name = "c" };

    private static ClusterLoadAssignmentConfig Assignment(params LbEndpointConfig[] endpoints) => new() { ClusterName = "c", Endpoints = [.. endpoints] };
}
