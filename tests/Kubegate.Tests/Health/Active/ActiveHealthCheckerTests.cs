using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;
using Kubegate.Health.Active;
using Kubegate.Testing;

namespace Kubegate.Tests.Health.Active;

public class ActiveHealthCheckerTests
{
    private const HealthFlags NewHost = HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc;

    [Fact]
    public void AddHost_BeforeFirstCheck_FailedAndPending()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001, 10002]);

        Assert.All(test.Cluster.AllHosts.Hosts, h => Assert.Equal(NewHost, h.HealthFlags));
        Assert.Equal(0, test.Stat("membership_healthy"));
        Assert.Equal(2, test.Stat("membership_total"));
        Assert.True(test.Cluster.InPanic);
        Assert.Equal(0, test.Probe(10001).Calls);
    }

    [Fact]
    public void FirstCheck_Passes_HealthyAtOnceWhateverHealthyThreshold()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(healthyThreshold: 5)), [10001]);

        test.RunDueChecks();

        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Equal(1, test.Stat("health_check.attempt"));
        Assert.Equal(1, test.Stat("health_check.success"));
        Assert.Equal(1, test.Stat("health_check.healthy"));
        Assert.Equal(1, test.Stat("membership_healthy"));
        Assert.False(test.Cluster.InPanic);
    }

    [Fact]
    public void FirstCheck_Fails_StaysFailedAndLeavesPending()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001]);
        test.Probe(10001).FailNetwork();

        test.RunDueChecks();

        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10001).HealthFlags);
        Assert.Equal(1, test.Stat("health_check.failure"));
        Assert.Equal(1, test.Stat("health_check.network_failure"));
        Assert.Equal(0, test.Stat("health_check.healthy"));
    }

    [Fact]
    public void NetworkFailures_CountTowardUnhealthyThreshold()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 3)), [10001]);
        test.RunDueChecks();
        test.Probe(10001).FailNetwork();

        test.Advance(1);
        test.Advance(1);
        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Equal(2u, test.Session(10001).ConsecutiveFailures);

        test.Advance(1);
        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10001).HealthFlags);
        Assert.Equal(3, test.Stat("health_check.network_failure"));
    }

    [Fact]
    public void ActiveFailure_HealthyHost_UnhealthyAtOnce()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 5)), [10001]);
        test.RunDueChecks();
        test.Probe(10001).FailActive(500);

        test.Advance(1);

        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10001).HealthFlags);
        Assert.Equal(1, test.Stat("health_check.failure"));
        Assert.Equal(0, test.Stat("health_check.network_failure"));
        Assert.Equal(HealthCheckFailureType.Active, HostHealthInfo.For(test.Host(10001)).LastCheck!.FailureType);
        Assert.Equal(500, HostHealthInfo.For(test.Host(10001)).LastCheck!.StatusCode);
    }

    [Fact]
    public void RetriableStatus_CountsTowardThreshold()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 2)), [10001]);
        test.RunDueChecks();
        test.Probe(10001).FailRetriable(503);

        test.Advance(1);
        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);

        test.Advance(1);
        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10001).HealthFlags);
    }

    [Fact]
    public void ImmediateFailHeader_FailsAtOnceAndExcludes()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 5)), [10001]);
        test.RunDueChecks();
        test.Probe(10001).Next = ProbeResult.ActiveFailure("HTTP 503", 503, retriable: true, immediateFail: true);

        test.Advance(1);

        Assert.Equal(HealthFlags.FailedActiveHc | HealthFlags.ExcludedViaImmediateHcFail, test.Host(10001).HealthFlags);
        test.Probe(10001).Pass();
        test.Advance(1);
        test.Advance(1);
        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
    }

    [Fact]
    public void Success_ResetsFailureCount()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 2)), [10001]);
        var probe = test.Probe(10001);
        test.RunDueChecks();

        probe.FailNetwork();
        test.Advance(1);
        probe.Pass();
        test.Advance(1);
        probe.FailNetwork();
        test.Advance(1);

        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Equal(1u, test.Session(10001).ConsecutiveFailures);
    }

    [Fact]
    public void AfterFailure_NeedsHealthyThresholdPassesInARow()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(healthyThreshold: 3)), [10001]);
        var probe = test.Probe(10001);
        probe.FailActive();
        test.RunDueChecks();
        Assert.True(test.Host(10001).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        probe.Pass();
        test.Advance(1);
        test.Advance(1);
        Assert.True(test.Host(10001).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        // A failure in between resets the count of passes.
        probe.FailNetwork();
        test.Advance(1);
        probe.Pass();
        test.Advance(1);
        test.Advance(1);
        Assert.True(test.Host(10001).HealthFlags.HasFlag(HealthFlags.FailedActiveHc));

        test.Advance(1);
        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        var change = HostHealthInfo.For(test.Host(10001)).Changes[^1];
        Assert.Equal("active_hc", change.Source);
        Assert.Contains("3 health checks in a row passed", change.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeout_CountsAsNetworkTimeoutAndFlagsFailedHost()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 2, timeoutSeconds: 0.5)), [10001]);
        var probe = test.Probe(10001);
        test.RunDueChecks();
        probe.Hang = true;

        // The cancelled probe reports back on a pool thread: wait for each result before moving the clock on.
        test.Advance(1);
        var result = test.NextCheckAsync();
        test.Advance(0.5);
        await result.DefaultTimeout();
        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Equal(HealthCheckFailureType.NetworkTimeout, HostHealthInfo.For(test.Host(10001)).LastCheck!.FailureType);

        test.Advance(1);
        result = test.NextCheckAsync();
        test.Advance(0.5);
        await result.DefaultTimeout();

        Assert.Equal(HealthFlags.FailedActiveHc | HealthFlags.ActiveHcTimeout, test.Host(10001).HealthFlags);
        Assert.Equal(2, test.Stat("health_check.network_failure"));
        Assert.Equal(TimeSpan.FromSeconds(0.5), HostHealthInfo.For(test.Host(10001)).LastCheck!.Latency);

        // A failure of another kind clears the timeout flag; the host stays failed.
        probe.Hang = false;
        probe.FailActive();
        test.Advance(1);
        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10001).HealthFlags);
    }

    [Fact]
    public void DegradedAnswer_SetsDegradedFlag()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001, 10002]);
        test.Probe(10001).Next = ProbeResult.Success("HTTP 200", 200, degraded: true);

        test.RunDueChecks();

        Assert.Equal(HealthFlags.DegradedActiveHc, test.Host(10001).HealthFlags);
        Assert.Equal([test.Host(10002)], test.Cluster.AvailableHosts.Hosts);
        Assert.Equal(1, test.Stat("health_check.degraded"));
    }

    [Fact]
    public void NoTraffic_ChecksEveryNoTrafficIntervalThenInterval()
    {
        var check = HealthTestCluster.Check(intervalSeconds: 1) with { NoTrafficInterval = TimeSpan.FromSeconds(60) };
        using var test = new HealthTestCluster(HealthTestCluster.Config(check), [10001]);
        var probe = test.Probe(10001);
        test.RunDueChecks();

        test.Advance(59);
        Assert.Equal(1, probe.Calls);
        test.Advance(1);
        Assert.Equal(2, probe.Calls);

        test.MarkTraffic();
        test.Advance(60);
        Assert.Equal(3, probe.Calls);
        test.Advance(1);
        Assert.Equal(4, probe.Calls);
    }

    [Fact]
    public void InitialJitter_DelaysOnlyTheFirstCheck()
    {
        var check = HealthTestCluster.Check(intervalSeconds: 1) with { InitialJitter = TimeSpan.FromSeconds(10) };
        using var test = new HealthTestCluster(HealthTestCluster.Config(check), [10001], new FixedRandom(4000));
        var probe = test.Probe(10001);

        test.RunDueChecks();
        test.Advance(3.999);
        Assert.Equal(0, probe.Calls);
        test.Advance(0.001);
        Assert.Equal(1, probe.Calls);
        test.Advance(1);
        Assert.Equal(2, probe.Calls);
    }

    [Fact]
    public async Task WhenFirstRoundComplete_CompletesAfterEveryHostHasAResult()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001, 10002]);
        test.Probe(10002).FailNetwork();

        var firstRound = test.Health.WhenFirstRoundCompleteAsync();
        Assert.False(firstRound.IsCompleted);
        test.RunDueChecks();

        await firstRound.DefaultTimeout();
        Assert.Equal(2, test.Stat("health_check.attempt"));
    }

    [Fact]
    public void CheckCompleted_RaisedWithTheRecord()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check()), [10001]);
        var records = new List<HealthCheckRecord>();
        test.Health.ActiveChecker!.CheckCompleted += (_, r) => records.Add(r);

        test.RunDueChecks();

        var record = Assert.Single(records);
        Assert.True(record.Succeeded);
        Assert.Equal("ok", record.Reason);
    }

    [Fact]
    public void DisabledEndpoint_NotCheckedAndHealthy()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check());
        using var test = new HealthTestCluster(config, []);
        var assignment = HealthTestCluster.Assignment([10001]);
        assignment = assignment with { Endpoints = [assignment.Endpoints[0] with { DisableActiveHealthCheck = true }] };

        test.Cluster.Update(config, assignment);
        test.RunDueChecks();

        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Empty(test.Health.ActiveChecker!.Sessions);
    }

    [Fact]
    public void HostAddedByEdsUpdate_StartsFailedUntilItsFirstCheck()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check());
        using var test = new HealthTestCluster(config, [10001]);
        test.RunDueChecks();

        test.Cluster.Update(config, HealthTestCluster.Assignment([10001, 10002]));

        Assert.Equal(NewHost, test.Host(10002).HealthFlags);
        Assert.Equal([test.Host(10001)], test.Cluster.AvailableHosts.Hosts);
        test.RunDueChecks();
        Assert.Equal(HealthFlags.None, test.Host(10002).HealthFlags);
        Assert.Equal(2, test.Cluster.AvailableHosts.Count);
    }

    [Fact]
    public void HealthCheckAddedByReload_ServingHostsKeepServingUntilFirstResult()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(), [10001, 10002]);
        test.Probe(10002).FailActive(500);

        test.Cluster.Update(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 5)), assignment: null);
        Assert.All(test.Cluster.AllHosts.Hosts, h => Assert.Equal(HealthFlags.None, h.HealthFlags));
        Assert.Equal(2, test.Cluster.AvailableHosts.Count);

        test.RunDueChecks();

        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10002).HealthFlags);
    }

    [Fact]
    public void HealthCheckRemovedByReload_FlagsClearedAndProbesStopped()
    {
        var probeFailing = HealthTestCluster.Config(HealthTestCluster.Check());
        using var test = new HealthTestCluster(probeFailing, [10001]);
        var probe = test.Probe(10001);
        probe.FailActive();
        test.RunDueChecks();
        Assert.Equal(HealthFlags.FailedActiveHc, test.Host(10001).HealthFlags);

        test.Cluster.Update(HealthTestCluster.Config(), assignment: null);

        Assert.Null(test.Health.ActiveChecker);
        Assert.Equal(HealthFlags.None, test.Host(10001).HealthFlags);
        Assert.True(probe.Disposed);
        Assert.Equal(0, test.Time.ArmedTimers);
    }

    [Fact]
    public void RemovedFromEds_StillPassing_KeptPendingRemovalAndServingUntilItFails()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 1));
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.RunDueChecks();
        var leaving = test.Host(10002);

        test.Cluster.Update(config, HealthTestCluster.Assignment([10001]));

        Assert.Contains(leaving, test.Cluster.AllHosts.Hosts);
        Assert.Equal(HealthFlags.PendingDynamicRemoval, leaving.HealthFlags);
        Assert.Contains(leaving, test.Cluster.AvailableHosts.Hosts);
        Assert.Equal(2, test.Stat("membership_healthy"));

        test.Probe(10002).FailNetwork();
        test.Advance(1);

        Assert.DoesNotContain(leaving, test.Cluster.AllHosts.Hosts);
        Assert.DoesNotContain(leaving, test.Cluster.AvailableHosts.Hosts);
        Assert.Single(test.Health.ActiveChecker!.Sessions);
    }

    [Fact]
    public void RemovedFromEds_ThenBack_PendingRemovalCleared()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check());
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.RunDueChecks();
        var host = test.Host(10002);

        test.Cluster.Update(config, HealthTestCluster.Assignment([10001]));
        test.Cluster.Update(config, HealthTestCluster.Assignment([10001, 10002]));

        Assert.Same(host, test.Host(10002));
        Assert.Equal(HealthFlags.None, host.HealthFlags);
    }

    [Fact]
    public void RemovedFromEds_IgnoreHealthOnHostRemoval_RemovedAtOnce()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check(), configure: c => c with { IgnoreHealthOnHostRemoval = true });
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.RunDueChecks();
        var probe = test.Probe(10002);

        test.Cluster.Update(config, HealthTestCluster.Assignment([10001]));

        Assert.Equal([10001], test.Cluster.AllHosts.Hosts.Select(h => h.EndPoint.Port));
        Assert.True(probe.Disposed);
    }

    [Fact]
    public void RemovedFromEds_FailingChecks_RemovedAtOnce()
    {
        var config = HealthTestCluster.Config(HealthTestCluster.Check());
        using var test = new HealthTestCluster(config, [10001, 10002]);
        test.Probe(10002).FailActive();
        test.RunDueChecks();

        test.Cluster.Update(config, HealthTestCluster.Assignment([10001]));

        Assert.Equal([10001], test.Cluster.AllHosts.Hosts.Select(h => h.EndPoint.Port));
    }

    [Fact]
    public void Retire_StopsEveryTimer()
    {
        var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(), new OutlierDetectionConfig()), [10001, 10002]);
        Assert.NotEqual(0, test.Time.ArmedTimers);

        test.Dispose();

        Assert.Equal(0, test.Time.ArmedTimers);
    }

    [Fact]
    public void Changes_KeepTheLastFifty()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 1, healthyThreshold: 1)), [10001]);
        var probe = test.Probe(10001);
        test.RunDueChecks();
        for (var i = 0; i < 60; i++)
        {
            if (i % 2 == 0)
            {
                probe.FailActive();
            }
            else
            {
                probe.Pass();
            }

            test.Advance(1);
        }

        var changes = HostHealthInfo.For(test.Host(10001)).Changes;
        Assert.Equal(HostHealthInfo.MaxChanges, changes.Count);
        Assert.True(changes.Zip(changes.Skip(1)).All(p => p.First.Time <= p.Second.Time));
        Assert.Equal(HealthFlags.None, changes[^1].After);
    }
}
