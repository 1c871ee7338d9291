using Kubegate.Clusters;
using Kubegate.Health;
using Kubegate.Health.Active;

namespace Kubegate.Tests.Health.Active;

/// <summary>Envoy's active-check thresholds as pure functions: no sockets, no clock, no cluster.</summary>
public class ActiveHealthPolicyTests
{
    private static readonly ActiveHealthCounters First = new(FirstCheck: true, Warming: false, 0, 0);
    private static readonly ActiveHealthCounters Settled = new(FirstCheck: false, Warming: false, 0, 0);

    [Fact]
    public void InitialFlags_ActivelyChecked_FailedAndPendingUntilFirstCheck()
    {
        Assert.Equal(HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, ActiveHealthPolicy.InitialFlags(activelyChecked: true, checkDisabledForHost: false));
        Assert.Equal(HealthFlags.None, ActiveHealthPolicy.InitialFlags(activelyChecked: true, checkDisabledForHost: true));
        Assert.Equal(HealthFlags.None, ActiveHealthPolicy.InitialFlags(activelyChecked: false, checkDisabledForHost: false));
    }

    [Fact]
    public void OnSuccess_FirstCheck_HealthyAtOnce()
    {
        var verdict = ActiveHealthPolicy.OnSuccess(HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, First, ProbeResult.Success("200"), healthyThreshold: 3);

        Assert.True(verdict.BecameHealthy);
        Assert.Equal(HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc, verdict.Clear & (HealthFlags.FailedActiveHc | HealthFlags.PendingActiveHc));
        Assert.Equal(HealthTransition.Changed, verdict.Transition);
        Assert.False(verdict.Counters.FirstCheck);
    }

    [Fact]
    public void OnSuccess_FailedHost_NeedsHealthyThresholdPassesInARow()
    {
        var counters = Settled;
        for (var i = 1; i < 3; i++)
        {
            var pending = ActiveHealthPolicy.OnSuccess(HealthFlags.FailedActiveHc, counters, ProbeResult.Success(), healthyThreshold: 3);
            Assert.False(pending.BecameHealthy);
            Assert.Equal(HealthTransition.ChangePending, pending.Transition);
            counters = pending.Counters;
        }

        var verdict = ActiveHealthPolicy.OnSuccess(HealthFlags.FailedActiveHc, counters, ProbeResult.Success(), healthyThreshold: 3);

        Assert.True(verdict.BecameHealthy);
        Assert.Equal(0u, verdict.Counters.ConsecutiveSuccesses);
    }

    [Fact]
    public void OnFailure_NetworkFailures_CountTowardUnhealthyThreshold()
    {
        var first = ActiveHealthPolicy.OnFailure(HealthFlags.None, Settled, ProbeResult.NetworkFailure("refused"), unhealthyThreshold: 2);
        var second = ActiveHealthPolicy.OnFailure(HealthFlags.None, first.Counters, ProbeResult.NetworkFailure("refused"), unhealthyThreshold: 2);

        Assert.False(first.BecameUnhealthy);
        Assert.Equal(HealthTransition.ChangePending, first.Transition);
        Assert.True(second.BecameUnhealthy);
        Assert.Equal(HealthFlags.FailedActiveHc, second.Set);
    }

    [Fact]
    public void OnFailure_ActiveFailure_UnhealthyAtOnce()
    {
        var verdict = ActiveHealthPolicy.OnFailure(HealthFlags.None, Settled, ProbeResult.ActiveFailure("HTTP 500", 500), unhealthyThreshold: 5);

        Assert.True(verdict.BecameUnhealthy);
    }

    [Fact]
    public void OnFailure_Timeout_SetsTimeoutFlagOnFailedHost()
    {
        var verdict = ActiveHealthPolicy.OnFailure(HealthFlags.FailedActiveHc, Settled, ProbeResult.Timeout(TimeSpan.FromSeconds(1)), unhealthyThreshold: 3);

        Assert.Equal(HealthFlags.ActiveHcTimeout, verdict.Set);
        Assert.False(verdict.BecameUnhealthy);
    }

    [Fact]
    public void KeepOnRemoval_PassingActivelyCheckedHost_Kept()
    {
        Assert.True(ActiveHealthPolicy.KeepOnRemoval(activelyChecked: true, ignoreHealthOnHostRemoval: false, checkDisabledForHost: false, HealthFlags.None));
        Assert.True(ActiveHealthPolicy.KeepOnRemoval(activelyChecked: true, ignoreHealthOnHostRemoval: false, checkDisabledForHost: false, HealthFlags.FailedOutlierCheck));
        Assert.False(ActiveHealthPolicy.KeepOnRemoval(activelyChecked: true, ignoreHealthOnHostRemoval: false, checkDisabledForHost: false, HealthFlags.FailedActiveHc));
        Assert.False(ActiveHealthPolicy.KeepOnRemoval(activelyChecked: true, ignoreHealthOnHostRemoval: true, checkDisabledForHost: false, HealthFlags.None));
        Assert.False(ActiveHealthPolicy.KeepOnRemoval(activelyChecked: false, ignoreHealthOnHostRemoval: false, checkDisabledForHost: false, HealthFlags.None));
    }
}
