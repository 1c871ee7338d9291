using System.Globalization;
using Kubegate.Infrastructure;
using Kubegate.Proxy;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting.Systemd;

/// <summary>
/// systemd's watchdog (WatchdogSec=): sends WATCHDOG=1 every WATCHDOG_USEC / 2, but only while the proxy's
/// connection heartbeat keeps running. A process whose event loop is wedged (heartbeat callbacks stuck or starved)
/// stops pinging, and systemd restarts it; a ping from a timer alone would keep a wedged proxy alive.
/// </summary>
internal sealed partial class SystemdWatchdog : IDisposable
{
    /// <summary>A heartbeat older than this (three missed ticks) means the proxy is not making progress.</summary>
    internal static readonly TimeSpan StaleAfter = 3 * ConnectionManager.HeartbeatInterval;

    private readonly ServiceNotifier _notifier;
    private readonly ConnectionManager _connections;
    private readonly ILogger _logger;
    private readonly ITimer _timer;
    private readonly long _staleAfterMs = (long)StaleAfter.TotalMilliseconds;
    private int _stalled;

    /// <param name="notifier">Where WATCHDOG=1 goes.</param>
    /// <param name="connections">Whose heartbeat gates the pings.</param>
    /// <param name="timeout">systemd's watchdog timeout (WATCHDOG_USEC); pings go out twice per timeout.</param>
    /// <param name="time">Clock of the ping timer; the heartbeat clock is <paramref name="connections"/>'.</param>
    /// <param name="logger">Where a stall and the recovery are logged.</param>
    public SystemdWatchdog(ServiceNotifier notifier, ConnectionManager connections, TimeSpan timeout, TimeProvider time, ILogger logger)
    {
        _notifier = notifier;
        _connections = connections;
        _logger = logger;
        var period = timeout / 2;
        Period = period > TimeSpan.Zero ? period : TimeSpan.FromMilliseconds(1);
        _timer = time.CreateTimer(static s => ((SystemdWatchdog)s!).OnTick(), this, Period, Period);
        Log.Enabled(logger, timeout.TotalSeconds, Period.TotalMilliseconds);
    }

    /// <summary>Time between pings.</summary>
    public TimeSpan Period { get; }

    /// <summary>
    /// The watchdog timeout systemd set for this process: WATCHDOG_USEC when positive and WATCHDOG_PID is unset or
    /// names this process (a child that inherited the variables must not ping for its parent); otherwise null.
    /// </summary>
    public static TimeSpan? TimeoutFromEnvironment(string? watchdogUsec, string? watchdogPid, int processId)
    {
        if (!long.TryParse(watchdogUsec, NumberStyles.None, CultureInfo.InvariantCulture, out var usec) || usec <= 0)
        {
            return null;
        }

        if (!string.IsNullOrEmpty(watchdogPid)
            && (!int.TryParse(watchdogPid, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid != processId))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec);
    }

    /// <summary>One ping opportunity; the timer calls it every <see cref="Period"/>, tests may call it directly.</summary>
    public void OnTick()
    {
        var age = _connections.NowMilliseconds() - _connections.LastHeartbeatMilliseconds;
        if (age > _staleAfterMs)
        {
            if (Interlocked.Exchange(ref _stalled, 1) == 0)
            {
                Log.Stalled(_logger, age);
            }

            return;
        }

        if (Interlocked.Exchange(ref _stalled, 0) == 1)
        {
            Log.Resumed(_logger);
        }

        _notifier.Watchdog();
    }

    public void Dispose() => _timer.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventIds.SystemdWatchdogEnabled, LogLevel.Information, "systemd watchdog: timeout {TimeoutSeconds} s, WATCHDOG=1 every {PeriodMs} ms while the connection heartbeat runs", EventName = "SystemdWatchdogEnabled")]
        public static partial void Enabled(ILogger logger, double timeoutSeconds, double periodMs);

        [LoggerMessage(EventIds.SystemdWatchdogStalled, LogLevel.Error, "connection heartbeat last ran {AgeMs} ms ago: withholding the systemd watchdog ping", EventName = "SystemdWatchdogStalled")]
        public static partial void Stalled(ILogger logger, long ageMs);

        [LoggerMessage(EventIds.SystemdWatchdogResumed, LogLevel.Warning, "connection heartbeat running again: systemd watchdog pings resumed", EventName = "SystemdWatchdogResumed")]
        public static partial void Resumed(ILogger logger);
    }
}
