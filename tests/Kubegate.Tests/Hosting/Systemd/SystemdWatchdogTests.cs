using Kubegate.Hosting.Systemd;
using Kubegate.Proxy;
using Kubegate.Stats;
using Kubegate.Tests.Health;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kubegate.Tests.Hosting.Systemd;

public class SystemdWatchdogTests
{
    [Theory]
    [InlineData("2000000", null, 2000.0)]
    [InlineData("2000000", "", 2000.0)]
    [InlineData("500000", "42", 500.0)]
    public void TimeoutFromEnvironment_ForThisProcess_Timeout(string usec, string? pid, double expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), SystemdWatchdog.TimeoutFromEnvironment(usec, pid, processId: 42));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("abc", null)]
    [InlineData("2000000", "41")]
    [InlineData("2000000", "x")]
    public void TimeoutFromEnvironment_UnsetOrForAnotherProcess_Null(string? usec, string? pid)
    {
        Assert.Null(SystemdWatchdog.TimeoutFromEnvironment(usec, pid, processId: 42));
    }

    [Fact]
    public void OnTick_HeartbeatRunning_PingsTwicePerTimeout()
    {
        var time = new ManualTimeProvider();
        using var connections = new ConnectionManager(time, new StatsStore());
        var sent = new RecordingNotifier();
        using var watchdog = new SystemdWatchdog(Notifier(sent), connections, TimeSpan.FromSeconds(2), time, NullLogger.Instance);

        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(TimeSpan.FromSeconds(1), watchdog.Period);
        Assert.Equal(5, sent.States.Count(s => s == "WATCHDOG=1"));
    }

    [Fact]
    public void OnTick_HeartbeatStopped_PingsStopUntilItRunsAgain()
    {
        var time = new ManualTimeProvider();
        var connections = new ConnectionManager(time, new StatsStore());
        var sent = new RecordingNotifier();
        using var watchdog = new SystemdWatchdog(Notifier(sent), connections, TimeSpan.FromSeconds(2), time, NullLogger.Instance);
        time.Advance(TimeSpan.FromSeconds(2));
        var whileAlive = sent.Messages.Count;

        // The heartbeat timer gone stands for a wedged proxy: its last tick ages.
        connections.Dispose();
        time.Advance(TimeSpan.FromSeconds(4));
        var afterStall = sent.Messages.Count;
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, whileAlive);
        Assert.Equal(afterStall, sent.Messages.Count);
        Assert.True(afterStall - whileAlive <= 3, $"{afterStall - whileAlive} pings after the heartbeat stopped");

        connections.OnHeartbeat();
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(afterStall + 1, sent.Messages.Count);
    }

    private static ServiceNotifier Notifier(RecordingNotifier sent) => new(sent, NullLogger.Instance, () => "serving");
}
