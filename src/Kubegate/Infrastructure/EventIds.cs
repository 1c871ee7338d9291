namespace Kubegate.Infrastructure;

/// <summary>
/// Every log event id of kubegate, by range, so ids are never reused: 1xx hosting and CLI, 2xx configuration,
/// 3xx listeners, 4xx proxy connections, 5xx clusters and health, 6xx admin, 7xx access log, 8xx apiserver discovery
/// and certificates. Within 2xx, 250–299 are
/// live reload (watching, validating and applying LDS/CDS/EDS updates).
/// </summary>
internal static class EventIds
{
    public const int Starting = 100;
    public const int Started = 101;
    public const int Stopping = 102;
    public const int Stopped = 103;
    public const int DrainTimedOut = 104;
    public const int DrainCutShort = 105;
    public const int StopSignal = 106;
    public const int StopSignalRepeated = 107;
    public const int SystemdNotifyFailed = 110;
    public const int SystemdWatchdogEnabled = 111;
    public const int SystemdWatchdogStalled = 112;
    public const int SystemdWatchdogResumed = 113;

    public const int ConfigProblem = 200;
    // 201 (config loaded) retired: the start-up log names the config with Started; ids are never reused.

    public const int ConfigUpdateAccepted = 250;
    public const int ConfigUpdateRejected = 251;
    public const int ConfigUpdateFailed = 252;
    public const int ConfigUpdateWarning = 253;
    public const int ConfigUpdateEmpty = 254;
    public const int ConfigUpdateUnchanged = 255;
    public const int ConfigUpdateRefused = 256;
    public const int ConfigReloadCrashed = 257;
    public const int ConfigWatching = 260;
    public const int ConfigWatchFailed = 261;
    public const int ConfigWatchOverflow = 262;
    public const int ConfigReloadStarted = 270;
    public const int ConfigReloadSignal = 271;
    public const int ConfigReloadStopped = 272;
    public const int ConfigApplied = 280;

    public const int ListenerStarted = 300;
    public const int ListenerBindFailed = 301;
    public const int ListenerStopped = 302;
    public const int AcceptFailed = 303;
    public const int ListenerUpdated = 304;
    public const int ListenerDraining = 305;
    public const int ListenerDrainClosed = 306;
    public const int ListenerRestored = 307;

    public const int ConnectionNoCluster = 400;
    public const int ConnectionNoHealthyUpstream = 401;
    public const int UpstreamConnectFailed = 402;
    public const int UpstreamConnectAttemptsExceeded = 403;
    public const int ConnectionClosed = 404;
    public const int ConnectionIdleTimeout = 405;
    public const int ConnectionFailed = 406;
    public const int UpstreamOverflow = 407;
    public const int ConnectionMaxDuration = 408;
    public const int ConnectionDrainClosed = 409;
    public const int ConnectionNoFilterChain = 410;
    public const int ConnectionRefusedByFilter = 411;
    public const int ListenerFiltersTimedOut = 412;
    public const int ConnectionClientLimited = 413;
    public const int FilterChainsDraining = 414;

    // 420–439: the reactors (the data path's event loops).
    public const int ReactorWaitFailed = 420;
    public const int ReactorHandlerFailed = 421;
    public const int ReactorLoopFailed = 422;
    public const int ReactorStartFailed = 423;
    public const int ReactorsStarted = 424;
    public const int ReactorIoUringRefused = 425;

    // 500–549: active health checks; 550–579: outlier detection; 580–599: host set and availability.
    public const int HealthCheckHostUnhealthy = 500;
    public const int HealthCheckHostHealthy = 501;
    public const int HealthCheckFailed = 502;
    public const int HealthCheckStarted = 503;
    public const int HealthCheckStopped = 504;
    public const int HealthCheckWarmupTimedOut = 505;
    public const int HealthCheckTlsConfigFailed = 506;
    public const int HealthEventLogFailed = 507;
    public const int HealthCheckFirstRoundDone = 508;
    public const int HealthCheckHostDraining = 509;
    public const int HealthCheckHostDownAfterDraining = 510;

    public const int OutlierHostEjected = 550;
    public const int OutlierHostUnejected = 551;
    public const int OutlierEjectionOverflow = 552;
    public const int OutlierEjectionNotEnforced = 553;

    public const int HostConnectionsClosedOnHealthFailure = 580;
    // 581 (host pending dynamic removal) retired unused; ids are never reused.
    public const int HostRemovedAfterHealthFailure = 582;
    public const int HostMaintenanceChanged = 583;

    // 600–649: admin interface.
    public const int AdminStarted = 600;
    public const int AdminStartFailed = 601;
    public const int AdminStopped = 602;
    public const int AdminHandlerFailed = 603;

    // 700–749: access log.
    public const int AccessLogWriteFailed = 700;
    public const int AccessLogWriteRecovered = 701;
    public const int AccessLogReopenFailed = 702;
    public const int AccessLogReopened = 703;
    public const int AccessLogCompileFailed = 704;
    public const int LogFileClosed = 705;

    public const int DiscoveryStarted = 800;
    public const int DiscoveryEndpointsWritten = 801;
    public const int DiscoveryUpdateRefused = 802;
    public const int DiscoveryRequestFailed = 803;
    public const int DiscoveryRelist = 804;
    public const int DiscoveryWriteFailed = 805;
    public const int DiscoveryListenerMissing = 806;
    public const int CertificateExpiresSoon = 850;
}
