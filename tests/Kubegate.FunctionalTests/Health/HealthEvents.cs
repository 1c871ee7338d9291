using Kubegate.Clusters;
using Kubegate.Health;

namespace Kubegate.FunctionalTests.Health;

/// <summary>Awaiting a health verdict: the condition is re-evaluated at every check result and flag change of a cluster.</summary>
internal static class HealthEvents
{
    public static async Task WaitForAsync(ClusterState cluster, Func<bool> condition, TimeSpan timeout, string what)
    {
        var health = cluster.Health ?? throw new InvalidOperationException("the cluster has no health services");
        var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(EndpointState host, HealthChange change) => Evaluate();
        void OnCheck(EndpointState host, HealthCheckRecord record) => Evaluate();
        void Evaluate()
        {
            if (condition())
            {
                met.TrySetResult();
            }
        }

        var checker = health.ActiveChecker;
        health.HostHealthChanged += OnChange;
        if (checker is not null)
        {
            checker.CheckCompleted += OnCheck;
        }

        try
        {
            Evaluate();
            await met.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            var hosts = string.Join(", ", cluster.AllHosts.Hosts.Select(h => $"{h} {h.HealthFlags} ({HostHealthInfo.TryGet(h)?.LastCheck?.Reason})"));
            throw new TimeoutException($"'{what}' still false after {timeout.TotalSeconds} s; hosts: {hosts}");
        }
        finally
        {
            health.HostHealthChanged -= OnChange;
            if (checker is not null)
            {
                checker.CheckCompleted -= OnCheck;
            }
        }
    }
}
