using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Health;
using Kubegate.Testing;

namespace Kubegate.Tests.Health;

/// <summary>
/// <c>health_check_role: readiness</c>: an answered failure (kube-apiserver's /readyz 503 during its shutdown delay)
/// drains the host, an unanswered one takes it down; only down closes connections.
/// </summary>
public class ReadinessDrainingTests
{
    [Fact]
    public async Task AnsweredFailure_DrainsWithoutClosingConnections_ThenRefusedTakesItDownAndCloses()
    {
        var closer = new RecordingCloser();
        using var test = new HealthTestCluster(Config(HealthCheckRole.Readiness), [10001, 10002], connections: closer);
        test.RunDueChecks();
        var host = test.Host(10002);

        test.Probe(10002).FailActive(503);
        test.Advance(1);

        Assert.Equal(ServingState.Draining, host.ServingState);
        Assert.DoesNotContain(host, test.Cluster.AvailableHosts.Hosts);
        Assert.True(host.HealthFlags.HasFlag(HealthFlags.FailedActiveHc), "Envoy's flag stays as Envoy sets it");
        Assert.Equal(0, closer.Calls);

        test.Probe(10002).FailNetwork();
        test.Advance(1);

        var (_, closedHost) = await closer.Requested.Task.DefaultTimeout();
        Assert.Same(host, closedHost);
        Assert.Equal(ServingState.Down, host.ServingState);
    }

    /// <summary>
    /// A draining apiserver still serves its watches: one check that times out (a busy machine) must not take it down
    /// and close them; unhealthy_threshold unanswered checks in a row do.
    /// </summary>
    [Fact]
    public async Task DrainingHost_OneUnansweredCheck_StaysDraining_ThresholdInARowTakesItDown()
    {
        var closer = new RecordingCloser();
        using var test = new HealthTestCluster(Config(HealthCheckRole.Readiness, unhealthyThreshold: 2), [10001, 10002], connections: closer);
        test.RunDueChecks();
        var host = test.Host(10002);
        test.Probe(10002).FailActive(503);
        test.Advance(1);
        test.Advance(1);
        Assert.Equal(ServingState.Draining, host.ServingState);

        test.Probe(10002).FailNetwork("timed out");
        test.Advance(1);
        Assert.Equal(ServingState.Draining, host.ServingState);
        test.Probe(10002).FailActive(503);
        test.Advance(1);
        test.Probe(10002).FailNetwork("timed out");
        test.Advance(1);
        Assert.Equal(ServingState.Draining, host.ServingState);
        Assert.Equal(0, closer.Calls);

        test.Probe(10002).FailNetwork();
        test.Advance(1);

        var (_, closedHost) = await closer.Requested.Task.DefaultTimeout();
        Assert.Same(host, closedHost);
        Assert.Equal(ServingState.Down, host.ServingState);
    }

    [Fact]
    public async Task AnsweredFailure_WithLivenessRole_IsDownAndCloses()
    {
        var closer = new RecordingCloser();
        using var test = new HealthTestCluster(Config(HealthCheckRole.Liveness), [10001, 10002], connections: closer);
        test.RunDueChecks();

        test.Probe(10002).FailActive(503);
        test.Advance(1);

        Assert.Equal(ServingState.Down, test.Host(10002).ServingState);
        var (_, closedHost) = await closer.Requested.Task.DefaultTimeout();
        Assert.Same(test.Host(10002), closedHost);
    }

    [Fact]
    public void DrainingHost_PassesAgain_IsUp()
    {
        using var test = new HealthTestCluster(Config(HealthCheckRole.Readiness), [10001, 10002]);
        test.RunDueChecks();
        test.Probe(10002).FailActive(503);
        test.Advance(1);

        test.Probe(10002).Pass();
        test.Advance(1);
        test.Advance(1);

        Assert.Equal(ServingState.Up, test.Host(10002).ServingState);
        Assert.Contains(test.Host(10002), test.Cluster.AvailableHosts.Hosts);
    }

    private static ClusterConfig Config(HealthCheckRole role, uint unhealthyThreshold = 1) =>
        HealthTestCluster.Config(
            HealthTestCluster.Check(unhealthyThreshold: unhealthyThreshold, healthyThreshold: 1),
            configure: c => c with { CloseConnectionsOnHostHealthFailure = true, Kubegate = new KubegateClusterExtension { HealthCheckRole = role } });

    private sealed class RecordingCloser : IHostConnectionCloser
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public TaskCompletionSource<(ClusterState, EndpointState)> Requested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int CloseConnections(ClusterState cluster, EndpointState host)
        {
            Interlocked.Increment(ref _calls);
            Requested.TrySetResult((cluster, host));
            return 1;
        }
    }
}
