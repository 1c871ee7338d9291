using Kubegate.Clusters;
using Kubegate.Health;
using Kubegate.LoadBalancing;
using Kubegate.Stats;
using Kubegate.Testing;

namespace Kubegate.Tests.Health;

/// <summary>The health updater of one cluster: verdicts become flags, then availability, then requests to the data path.</summary>
public class ClusterHealthTests
{
    [Fact]
    public async Task CloseConnectionsOnHostHealthFailure_HostFails_DataPathAskedToCloseItsConnections()
    {
        var closer = new RecordingCloser();
        var config = HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 1), configure: c => c with { CloseConnectionsOnHostHealthFailure = true });
        using var test = new HealthTestCluster(config, [10001, 10002], connections: closer);
        test.RunDueChecks();

        test.Probe(10002).FailNetwork();
        test.Advance(1);

        var (cluster, host) = await closer.Requested.Task.DefaultTimeout();
        Assert.Same(test.Cluster, cluster);
        Assert.Same(test.Host(10002), host);
        Assert.DoesNotContain(host, test.Cluster.AvailableHosts.Hosts);
    }

    [Fact]
    public void HostHealthChanged_RaisedAfterAvailabilityWasRebuilt()
    {
        using var test = new HealthTestCluster(HealthTestCluster.Config(HealthTestCluster.Check(unhealthyThreshold: 1)), [10001, 10002]);
        test.RunDueChecks();
        var failing = test.Host(10002);
        var availableAtEvent = true;
        test.Health.HostHealthChanged += (host, _) =>
        {
            if (host == failing)
            {
                availableAtEvent = test.Cluster.AvailableHosts.Hosts.Contains(host);
            }
        };

        test.Probe(10002).FailNetwork();
        test.Advance(1);

        Assert.False(availableAtEvent);
    }

    [Fact]
    public void Cluster_WithoutHealthMonitor_HasNoHealth()
    {
        var cluster = new ClusterState(HealthTestCluster.Config(), HealthTestCluster.Assignment([10001]), new StatsStore(), LoadBalancerFactory.For());

        Assert.Null(cluster.Health);
        Assert.Null(cluster.HealthMonitor);
    }

    private sealed class RecordingCloser : IHostConnectionCloser
    {
        public TaskCompletionSource<(ClusterState, EndpointState)> Requested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int CloseConnections(ClusterState cluster, EndpointState host)
        {
            Requested.TrySetResult((cluster, host));
            return 3;
        }
    }
}
