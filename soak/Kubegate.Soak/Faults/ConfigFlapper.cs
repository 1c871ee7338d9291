using System.Globalization;
using Kubegate.Soak.Harness;
using Kubegate.Testing;

namespace Kubegate.Soak.Faults;

/// <summary>
/// Every 10 s writes version N+1 of every config file (<see cref="SoakConfig.Write"/>: the echo cluster's third
/// endpoint leaves or comes back, its lb_policy changes, every version_info moves on) and flips the flapping
/// apiserver's <c>/readyz</c> (failing on even versions, passing on odd ones). Then watches the admin interface until
/// kubegate shows all of it: every subscription's version_text at N+1, the echo endpoint gone or back in
/// <c>/clusters</c>, the apiserver's <c>failed_active_hc</c> flag set or cleared. What it does not show within 8 s is
/// counted and described.
/// </summary>
internal sealed class ConfigFlapper(SoakConfig config, AdminClient admin, FakeApiServer flapping, HealthFlapWindows windows)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ObserveWithin = TimeSpan.FromSeconds(8);
    private static readonly string[] Subscriptions = ["listener_manager.lds.", "cluster_manager.cds.", "cluster.echo.", "cluster.api."];

    private readonly List<string> _problems = [];

    /// <summary>The version now in the files (1 at start).</summary>
    public int Version { get; private set; } = 1;

    /// <summary>Rewrites after the first.</summary>
    public int Reloads { get; private set; }

    /// <summary>Rewrites kubegate applied in full (every version_text, the echo endpoint set) within 8 s.</summary>
    public int Applied { get; private set; }

    /// <summary>Health flips (fail or pass) kubegate's checks reflected within 8 s.</summary>
    public int HealthFlips { get; private set; }

    public int HealthFlipsSeen { get; private set; }

    /// <summary>The first problems seen (up to 10).</summary>
    public IReadOnlyList<string> Problems => _problems;

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                Version++;
                config.Write(Version);
                var failing = IsHealthFailing(Version);
                flapping.ReadyzMode = failing ? ReadyzMode.Fail500 : ReadyzMode.Ok;
                if (failing)
                {
                    windows.FailureStarted(DateTime.UtcNow);
                }
                else
                {
                    windows.FailureEnded(DateTime.UtcNow);
                }

                await ObserveAsync(Version, failing, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    public static bool IsHealthFailing(int version) => version % 2 == 0;

    private async Task ObserveAsync(int version, bool failing, CancellationToken stop)
    {
        var expected = version.ToString(CultureInfo.InvariantCulture);
        var echo = $"echo::{config.FlappingEcho}::";
        var health = $"api::{flapping.EndPoint}::health_flags::";
        var echoPresent = SoakConfig.HasFlappingEcho(version);
        var deadline = DateTime.UtcNow + ObserveWithin;
        string? applied = null;
        string? healthState = null;
        while (true)
        {
            try
            {
                var stats = await admin.StatsAsync(stop);
                var clusters = await admin.ClustersAsync(stop);
                var stale = Subscriptions.Where(s => !stats.TryGetValue(s + "version_text", out var v) || v != expected).ToList();
                var echoListed = clusters.Contains(echo, StringComparison.Ordinal);
                applied = stale.Count > 0 ? $"version_text not {expected} for {string.Join(", ", stale)}"
                    : echoListed != echoPresent ? $"echo endpoint {config.FlappingEcho} {(echoPresent ? "missing" : "still listed")}"
                    : null;
                var flags = clusters.Split('\n').FirstOrDefault(l => l.StartsWith(health, StringComparison.Ordinal)) ?? "(host not listed)";
                healthState = flags.Contains("failed_active_hc", StringComparison.Ordinal) == failing ? null : $"{flapping.Name}: {flags}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stop.IsCancellationRequested)
            {
                applied = $"admin: {e.Message}";
            }

            if ((applied is null && healthState is null) || DateTime.UtcNow >= deadline)
            {
                break;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), stop);
        }

        // Counted only once observed: a rewrite the end of the run interrupted (OperationCanceledException above) is not.
        Reloads++;
        HealthFlips++;
        if (applied is null)
        {
            Applied++;
        }
        else
        {
            Problem($"version {version}: not applied within {ObserveWithin.TotalSeconds} s: {applied}");
        }

        if (healthState is null)
        {
            HealthFlipsSeen++;
        }
        else
        {
            Problem($"version {version}: /readyz {(failing ? "failing" : "passing")} not reflected within {ObserveWithin.TotalSeconds} s: {healthState}");
        }
    }

    private void Problem(string text)
    {
        Console.WriteLine($"soak: {text}");
        if (_problems.Count < 10)
        {
            _problems.Add($"{DateTime.UtcNow:HH:mm:ss} {text}");
        }
    }
}
