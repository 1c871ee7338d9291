using Kubegate.Clusters;
using Kubegate.Configuration;
using Kubegate.Configuration.Watching;
using Kubegate.Discovery;
using Kubegate.Listeners;
using Kubegate.LogFiles;
using Kubegate.Stats;

namespace Kubegate.Admin;

/// <summary>
/// The running server, as the admin interface reads and drives it. Declared here and implemented by Hosting's
/// <c>KubegateServer</c>, so Admin never imports Hosting (Hosting builds the admin, not the other way round).
/// </summary>
internal interface IAdminHost
{
    /// <summary>The build's version (<c>/server_info</c>, the dashboard).</summary>
    string Version { get; }

    StatsStore Stats { get; }

    ClusterManager Clusters { get; }

    ListenerManager Listeners { get; }

    /// <summary>The configuration being served.</summary>
    ConfigSnapshot Snapshot { get; }

    /// <summary>The state of apiserver discovery of each cluster that uses it.</summary>
    IReadOnlyList<DiscoveryStatus> DiscoveryStatuses { get; }

    /// <summary>The last reload of each config file.</summary>
    ReloadStatusBoard ReloadStatus { get; }

    /// <summary>Every log file of the process (the admin access log writes through it).</summary>
    LogFileSet LogFiles { get; }

    /// <summary>The process's log levels (<c>/logging</c>).</summary>
    LoggingLevelSwitch LogLevels { get; }

    /// <summary>True once every listener was started.</summary>
    bool IsStarted { get; }

    /// <summary>True once the stop began.</summary>
    bool IsStopping { get; }

    /// <summary>Stops the process, as SIGTERM does (<c>/quitquitquit</c>).</summary>
    void Quit();

    /// <summary>Reopens every log file the process writes (<c>/reopen_logs</c>, as SIGUSR1).</summary>
    void ReopenLogs();

    /// <summary>An operator drained, disabled or enabled an endpoint (for the log; the cluster already applied it).</summary>
    void OnMaintenanceChanged(string cluster, string address, MaintenanceMode mode);
}
