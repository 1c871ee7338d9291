using System.Runtime.InteropServices;
using Kubegate.Infrastructure;
using Kubegate.Proxy;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting.Systemd;

/// <summary>
/// Serve mode's host lifetime, in place of <c>ConsoleLifetime</c> and the package's <c>SystemdLifetime</c>:
/// SIGTERM, SIGINT or SIGQUIT starts the graceful stop (drain), a second one cuts the drain short; READY=1 goes out
/// when the host has started (so after <see cref="KubegateServer.StartAsync"/> bound the listeners behind the first
/// health-check round) and STOPPING=1 when stopping begins, whatever asked for it (a signal, <c>/quitquitquit</c>).
/// </summary>
/// <remarks>
/// <c>SystemdLifetime</c> is not used: it also answers every repeated SIGTERM with another StopApplication, which does
/// nothing while the drain runs, and the operator who presses Ctrl-C twice means "now".
/// </remarks>
internal sealed partial class KubegateLifetime : IHostLifetime, IDisposable
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly KubegateServer _server;
    private readonly ServiceNotifier _notifier;
    private readonly KubegateServerOptions _options;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _registrations = [];
    private int _signals;

    public KubegateLifetime(IHostApplicationLifetime lifetime, KubegateServer server, ServiceNotifier notifier, KubegateServerOptions options, ILoggerFactory loggerFactory)
    {
        _lifetime = lifetime;
        _server = server;
        _notifier = notifier;
        _options = options;
        _logger = loggerFactory.CreateLogger("kubegate");
    }

    /// <summary>How long the host may take to stop: the drain time plus 10 s for closing and flushing (never less than the drain).</summary>
    public static TimeSpan ShutdownTimeout(TimeSpan drainTime)
    {
        // CancellationTokenSource.CancelAfter takes at most uint.MaxValue - 1 ms; a longer drain runs unbounded.
        var timeout = drainTime + TimeSpan.FromSeconds(10);
        return timeout < TimeSpan.FromMilliseconds(uint.MaxValue - 1) ? timeout : Timeout.InfiniteTimeSpan;
    }

    public Task WaitForStartAsync(CancellationToken cancellationToken)
    {
        _registrations.Add(_lifetime.ApplicationStarted.Register(static s => ((KubegateLifetime)s!)._notifier.Ready(), this));
        _registrations.Add(_lifetime.ApplicationStopping.Register(static s => ((KubegateLifetime)s!).OnStopping(), this));
        if (!OperatingSystem.IsWindows())
        {
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnStopSignal));
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, OnStopSignal));
            _registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGQUIT, OnStopSignal));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _registrations.Clear();
    }

    private void OnStopping()
    {
        var strategy = _options.DrainStrategy == DrainStrategy.Immediate ? "immediate" : "gradual";
        _notifier.Stopping(
            $"draining {_server.Connections.Count} connection(s) for up to {_options.DrainTime.TotalSeconds} s ({strategy})",
            ShutdownTimeout(_options.DrainTime));
    }

    private void OnStopSignal(PosixSignalContext context)
    {
        // The default action would end the process at once; the host stops it instead, and Main returns 0.
        context.Cancel = true;
        var name = context.Signal.ToString();
        if (Interlocked.Increment(ref _signals) == 1 && !_server.IsStopping)
        {
            Log.StopSignal(_logger, name);
            _lifetime.StopApplication();
            return;
        }

        Log.StopSignalRepeated(_logger, name);
        _lifetime.StopApplication();
        _server.CutDrainShort();
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.StopSignal, LogLevel.Information, "{Signal}: stopping gracefully (send it again to close every connection now)", EventName = "StopSignal")]
        public static partial void StopSignal(ILogger logger, string signal);

        [LoggerMessage(EventIds.StopSignalRepeated, LogLevel.Warning, "{Signal} during the drain: cutting the drain short, closing every connection now", EventName = "StopSignalRepeated")]
        public static partial void StopSignalRepeated(ILogger logger, string signal);
    }
}
