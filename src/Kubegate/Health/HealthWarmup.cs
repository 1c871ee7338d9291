using Kubegate.Clusters;
using Kubegate.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Kubegate.Health;

/// <summary>
/// Start-up warming, as Envoy's cluster initialization: listeners start serving only once every actively checked
/// host has had one check result, so the first connections go to hosts known to be up. The wait is bounded
/// (longest <c>initial_jitter</c> + <c>timeout</c> + 1 s): a check that hangs past its timeout must not keep the
/// proxy from starting; in that case the hosts are still failed and panic mode routes to them.
/// </summary>
internal static partial class HealthWarmup
{
    /// <summary>Slack on top of the longest check, for scheduling on a busy machine.</summary>
    internal static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    /// <summary>Waits for the first round of checks of <paramref name="clusters"/>; returns false when the bound was hit.</summary>
    public static async Task<bool> WaitAsync(IEnumerable<ClusterState> clusters, TimeProvider time, ILogger logger, CancellationToken cancellationToken)
    {
        var waits = new List<Task>();
        var bound = TimeSpan.Zero;
        foreach (var cluster in clusters)
        {
            if (cluster.Health?.ActiveChecker is { } checker)
            {
                waits.Add(checker.WhenFirstRoundCompleteAsync());
                var longest = checker.Config.InitialJitter + checker.Config.Timeout;
                bound = longest > bound ? longest : bound;
            }
        }

        if (waits.Count == 0)
        {
            return true;
        }

        var started = time.GetTimestamp();
        try
        {
            await Task.WhenAll(waits).WaitAsync(bound + Slack, time, cancellationToken).ConfigureAwait(false);
            Log.FirstRoundDone(logger, waits.Count, time.GetElapsedTime(started).TotalMilliseconds);
            return true;
        }
        catch (TimeoutException)
        {
            Log.WarmupTimedOut(logger, (bound + Slack).TotalSeconds);
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.HealthCheckFirstRoundDone, LogLevel.Information, "first health checks of {Clusters} cluster(s) done in {Milliseconds} ms", EventName = "HealthCheckFirstRoundDone")]
        public static partial void FirstRoundDone(ILogger logger, int clusters, double milliseconds);

        [LoggerMessage(EventIds.HealthCheckWarmupTimedOut, LogLevel.Warning, "first health checks not all done after {Seconds} s: starting listeners anyway (unchecked hosts count as unhealthy)", EventName = "HealthCheckWarmupTimedOut")]
        public static partial void WarmupTimedOut(ILogger logger, double seconds);
    }
}
