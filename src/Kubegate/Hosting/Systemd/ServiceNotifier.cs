using System.Diagnostics;
using System.Net.Sockets;
using Kubegate.Infrastructure;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting.Systemd;

/// <summary>
/// kubegate's side of the sd_notify protocol (Type=notify / notify-reload units): READY=1 once serving,
/// RELOADING=1 … READY=1 around a configuration reload, STOPPING=1 at shutdown, WATCHDOG=1 pings, each with a
/// STATUS= line for <c>systemctl status</c>. Sends through the package's <see cref="SystemdNotifier"/> (NOTIFY_SOCKET,
/// a path or an abstract '@name'); without NOTIFY_SOCKET every call does nothing.
/// </summary>
/// <remarks>
/// Messages go out under one lock, so systemd sees them in the order the states changed (a reload finishing on the
/// reload loop cannot overtake STOPPING=1 sent from the signal handler). Once STOPPING=1 is sent no READY=1 follows:
/// systemd would take it as the service being up again.
/// </remarks>
internal sealed partial class ServiceNotifier
{
    private readonly ISystemdNotifier _notifier;
    private readonly ILogger _logger;
    private readonly Func<string> _readyStatus;
    private readonly Lock _lock = new();
    private int _reloadsInFlight;
    private bool _ready;
    private bool _stopping;
    private bool _failureLogged;

    /// <param name="notifier">The datagram sender (<see cref="SystemdNotifier"/> in production).</param>
    /// <param name="logger">Where a failed send is logged, once.</param>
    /// <param name="readyStatus">The STATUS= text sent with each READY=1 (e.g. listeners and clusters in force).</param>
    public ServiceNotifier(ISystemdNotifier notifier, ILogger logger, Func<string> readyStatus)
    {
        _notifier = notifier;
        _logger = logger;
        _readyStatus = readyStatus;
    }

    /// <summary>True when NOTIFY_SOCKET names a socket to notify.</summary>
    public bool IsEnabled => _notifier.IsEnabled;

    /// <summary>Start-up is complete (listeners bound, first health-check round over): READY=1.</summary>
    public void Ready()
    {
        lock (_lock)
        {
            if (_stopping || _ready)
            {
                return;
            }

            _ready = true;
            Send("READY=1\nSTATUS=" + _readyStatus());
        }
    }

    /// <summary>
    /// A reload starts: RELOADING=1 with MONOTONIC_USEC (which Type=notify-reload requires), unless one is already in
    /// flight. Each call must be matched by one <see cref="ReloadFinished"/>.
    /// </summary>
    public void ReloadStarting()
    {
        lock (_lock)
        {
            if (_reloadsInFlight++ > 0 || _stopping || !_ready)
            {
                return;
            }

            Send($"RELOADING=1\nMONOTONIC_USEC={MonotonicMicroseconds()}\nSTATUS=reloading configuration");
        }
    }

    /// <summary>A reload was applied or refused: READY=1 once no other reload is in flight.</summary>
    public void ReloadFinished()
    {
        lock (_lock)
        {
            if (_reloadsInFlight == 0 || --_reloadsInFlight > 0 || _stopping || !_ready)
            {
                return;
            }

            Send("READY=1\nSTATUS=" + _readyStatus());
        }
    }

    /// <summary>
    /// Shutdown starts: STOPPING=1, plus EXTEND_TIMEOUT_USEC so a unit whose TimeoutStopSec is shorter than the drain
    /// does not kill the drain (systemd extends the stop timeout to at least this).
    /// </summary>
    public void Stopping(string status, TimeSpan? extendTimeout)
    {
        lock (_lock)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            var extend = extendTimeout is { } timeout && timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan
                ? $"\nEXTEND_TIMEOUT_USEC={(long)timeout.TotalMicroseconds}"
                : string.Empty;
            Send("STOPPING=1\nSTATUS=" + status + extend);
        }
    }

    /// <summary>The watchdog keep-alive: WATCHDOG=1.</summary>
    public void Watchdog()
    {
        lock (_lock)
        {
            Send("WATCHDOG=1");
        }
    }

    // CLOCK_MONOTONIC, which Stopwatch reads on Linux; systemd compares it with its own reading of that clock.
    private static long MonotonicMicroseconds() =>
        (long)(Stopwatch.GetTimestamp() * (1_000_000.0 / Stopwatch.Frequency));

    private void Send(string message)
    {
        if (!_notifier.IsEnabled)
        {
            return;
        }

        try
        {
            _notifier.Notify(new ServiceState(message));
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            // The service manager went away or the socket is wrong: serving goes on; say so once, not every second.
            if (!_failureLogged)
            {
                _failureLogged = true;
                Log.NotifyFailed(_logger, message[..message.IndexOf('=', StringComparison.Ordinal)], ex.Message);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.SystemdNotifyFailed, LogLevel.Warning, "systemd notification {State} could not be sent (NOTIFY_SOCKET): {Error}; further failures are not logged", EventName = "SystemdNotifyFailed")]
        public static partial void NotifyFailed(ILogger logger, string state, string error);
    }
}
