using System.Globalization;
using System.Text.RegularExpressions;
using Kubegate.FunctionalTests.Infrastructure;
using Kubegate.Testing;

namespace Kubegate.FunctionalTests.Operations;

/// <summary>
/// deploy/kubegate.service as systemd reads it: `systemd-analyze verify` and the offline security score on a copy
/// whose binary exists, and the settings whose values depend on each other.
/// </summary>
public partial class SystemdUnitTests : IDisposable
{
    private static readonly string UnitPath = Path.Combine(KubegateProcess.RepositoryRoot, "deploy", "kubegate.service");

    private readonly TestPaths _paths = TestPaths.Create("systemd-unit");

    public void Dispose() => _paths.Dispose();

    [Fact]
    public async Task Verify_UnitWithAnExistingBinary_ReportsNothing()
    {
        var unit = WriteUnitForTestBinary();

        var verify = await ToolRun.RunAsync("systemd-analyze", _paths.Directory, ["verify", unit], Make.DefaultTimeout);

        // verify exits 0 on unknown keys and bad values too, printing a warning: any output is a failure.
        Assert.True(verify.ExitCode == 0 && verify.Output.Length == 0, verify.ToString());
    }

    [Fact]
    public async Task Verify_MisspelledSetting_IsReported()
    {
        // The check above is only worth something if verify complains about a bad unit.
        var unit = WriteUnitForTestBinary(text => text.Replace("Type=notify", "Type=notfy", StringComparison.Ordinal));

        var verify = await ToolRun.RunAsync("systemd-analyze", _paths.Directory, ["verify", unit], Make.DefaultTimeout);

        Assert.Contains("notfy", verify.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Security_OfflineExposure_StaysAtMost2()
    {
        var unit = WriteUnitForTestBinary();

        // --threshold is the exposure times ten: 20 is systemd's "OK" band up to 2.0 (this unit scores 1.8).
        var security = await ToolRun.RunAsync(
            "systemd-analyze", _paths.Directory, ["security", "--offline=true", "--threshold=20", "--no-pager", unit], Make.DefaultTimeout);

        Assert.True(security.ExitCode == 0, security.ToString());
        Assert.Matches(@"Overall exposure level for kubegate\.service: [0-9.]+ OK", security.StandardOutput);
    }

    [Fact]
    public void Unit_StopTimeoutExceedsTheDrainTime()
    {
        var unit = Settings();

        var drain = int.Parse(DrainTime().Match(unit["ExecStart"]).Groups[1].Value, CultureInfo.InvariantCulture);
        var stopTimeout = Seconds(unit["TimeoutStopSec"]);

        Assert.InRange(drain, 30, 300);
        // The access logs are flushed after the drain; SIGKILL must not cut that short.
        Assert.True(stopTimeout >= drain + 10, $"TimeoutStopSec={stopTimeout}s leaves no room after --drain-time-s {drain}");
    }

    [Fact]
    public void Unit_FileLimitHolds100kProxiedConnections()
    {
        // Each proxied connection holds two sockets; leave room for health checks, admin, logs and a reconnect storm.
        Assert.True(long.Parse(Settings()["LimitNOFILE"], CultureInfo.InvariantCulture) >= 2 * 100_000 * 5 / 4);
    }

    [Fact]
    public void Unit_RunsAsNotifyServiceWithWatchdogValidationAndReload()
    {
        var unit = Settings();

        Assert.Equal("notify", unit["Type"]);
        Assert.Equal("main", unit["NotifyAccess"]);
        Assert.InRange(Seconds(unit["WatchdogSec"]), 10, 120);
        Assert.Equal("/usr/local/bin/kubegate --mode validate -c /etc/kubegate/envoy.yaml", unit["ExecStartPre"]);
        Assert.StartsWith("/usr/local/bin/kubegate -c /etc/kubegate/envoy.yaml ", unit["ExecStart"], StringComparison.Ordinal);
        Assert.Equal("/bin/sh -c 'kill -HUP \"$MAINPID\" && sleep 1'", unit["ExecReload"]);
        Assert.Equal("on-failure", unit["Restart"]);
        Assert.Equal("SIGTERM", unit["KillSignal"]);
        Assert.Equal("kubegate", unit["User"]);
        Assert.Equal("kubegate", unit["Group"]);
        Assert.Equal("CAP_NET_BIND_SERVICE", unit["AmbientCapabilities"]);
        Assert.Equal("CAP_NET_BIND_SERVICE", unit["CapabilityBoundingSet"]);
        Assert.Equal("strict", unit["ProtectSystem"]);
        Assert.Equal("kubegate", unit["LogsDirectory"]);
        Assert.Equal("AF_INET AF_INET6 AF_UNIX", unit["RestrictAddressFamilies"]);
    }

    private string WriteUnitForTestBinary(Func<string, string>? edit = null)
    {
        // verify insists that ExecStart's binary exists; the test's own kubegate stands in for /usr/local/bin/kubegate.
        var text = File.ReadAllText(UnitPath).Replace("/usr/local/bin/kubegate", KubegateProcess.ExecutablePath, StringComparison.Ordinal);
        var path = _paths.Combine("kubegate.service");
        File.WriteAllText(path, edit is null ? text : edit(text));
        return path;
    }

    private static Dictionary<string, string> Settings()
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(UnitPath))
        {
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            if (line.StartsWith('#') || line.StartsWith('[') || eq <= 0)
            {
                continue;
            }

            Assert.True(settings.TryAdd(line[..eq], line[(eq + 1)..]), $"{line[..eq]} is set twice");
        }

        return settings;
    }

    private static int Seconds(string value)
    {
        var match = SecondsValue().Match(value);
        Assert.True(match.Success, $"'{value}' is not a plain number of seconds");
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"--drain-time-s (\d+)")]
    private static partial Regex DrainTime();

    [GeneratedRegex(@"^(\d+)s?$")]
    private static partial Regex SecondsValue();
}
