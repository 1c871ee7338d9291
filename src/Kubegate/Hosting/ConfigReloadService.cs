using System.Runtime.InteropServices;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.Hosting.Systemd;
using Kubegate.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kubegate.Hosting;

/// <summary>
/// Live configuration in serve mode: starts the reload loop (which owns its file watcher and applies through
/// <see cref="ServerConfigApplier"/>) and turns SIGHUP into a reload of every file. Registered after
/// <see cref="KubegateHostedService"/>, so it starts once the server is listening and stops (the host stops services
/// in reverse) before the server drains.
/// </summary>
internal sealed partial class ConfigReloadService : IHostedService, IAsyncDisposable
{
    private readonly KubegateServer _server;
    private readonly ConfigLoader _loader;
    private readonly ConfigFileSet _initial;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TimeSpan? _debounce;
    private readonly ServiceNotifier? _notifier;
    private ConfigReloader? _reloader;
    private PosixSignalRegistration? _sighup;

    /// <param name="server">The running proxy.</param>
    /// <param name="loader">Parses the files, with the options used at start-up.</param>
    /// <param name="initial">The files loaded at start-up (their snapshot is the server's).</param>
    /// <param name="loggerFactory">Where reloads are logged.</param>
    /// <param name="time">Clock of the debounce and of <c>update_time</c>; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="debounce">Quiet period after the last file event; default 250 ms.</param>
    /// <param name="notifier">Told when a reload starts and ends (systemd RELOADING=1 / READY=1); null for none.</param>
    public ConfigReloadService(KubegateServer server, ConfigLoader loader, ConfigFileSet initial, ILoggerFactory loggerFactory, TimeProvider? time = null, TimeSpan? debounce = null, ServiceNotifier? notifier = null)
    {
        _notifier = notifier;
        _server = server;
        _loader = loader;
        _initial = initial;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("kubegate.config");
        _time = time ?? TimeProvider.System;
        _debounce = debounce;
    }

    /// <summary>The reload loop; null before <see cref="StartAsync"/>.</summary>
    public ConfigReloader? Reloader => _reloader;

    /// <summary>The reload loop's file watcher; null before <see cref="StartAsync"/>.</summary>
    public ConfigFileWatcher? Watcher => _reloader?.Watcher;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_reloader is not null)
        {
            return Task.CompletedTask;
        }

        // Created here, after the server started, so the first LDS update can count the listeners that failed to bind.
        var reloader = new ConfigReloader(
            _loader,
            _initial,
            _server.Stats,
            new ServerConfigApplier(_server, _notifier),
            _logger,
            _time,
            ServerConfigApplier.Convert(_server.BindFailures),
            _server.ReloadStatus);
        reloader.StartWatching(_loggerFactory.CreateLogger("kubegate.config.watch"), _debounce);
        var targets = reloader.WatchTargets;
        _reloader = reloader;
        reloader.Start();

        // The files were read before the watches existed: whatever changed in between is picked up now (an unchanged
        // hash makes this free).
        reloader.RequestAll(force: false);

        try
        {
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSighup);
        }
        catch (PlatformNotSupportedException)
        {
            // Not a Unix: no SIGHUP; file watching still works.
        }

        Log.ReloadStarted(_logger, targets.Select(t => t.Key).Distinct(StringComparer.Ordinal).Count(), targets.Select(t => t.Directory).Distinct(StringComparer.Ordinal).Count());
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _sighup?.Dispose();
        _sighup = null;
        if (_reloader is { } reloader)
        {
            await reloader.DisposeAsync().ConfigureAwait(false);
            Log.ReloadStopped(_logger);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    private void OnSighup(PosixSignalContext context)
    {
        // SIGHUP's default action ends the process; here it means "re-read the configuration", as for many daemons.
        context.Cancel = true;
        Log.SighupReceived(_logger);
        _ = _reloader?.ReloadAsync(key: null, force: true);
    }

    private static partial class Log
    {
        [LoggerMessage(EventIds.ConfigReloadStarted, LogLevel.Information, "watching {Files} configuration file(s) in {Directories} director(ies) for changes; SIGHUP re-reads them all", EventName = "ConfigReloadStarted")]
        public static partial void ReloadStarted(ILogger logger, int files, int directories);

        [LoggerMessage(EventIds.ConfigReloadSignal, LogLevel.Information, "SIGHUP: re-reading every configuration file", EventName = "ConfigReloadSignal")]
        public static partial void SighupReceived(ILogger logger);

        [LoggerMessage(EventIds.ConfigReloadStopped, LogLevel.Debug, "configuration watching stopped", EventName = "ConfigReloadStopped")]
        public static partial void ReloadStopped(ILogger logger);
    }
}
