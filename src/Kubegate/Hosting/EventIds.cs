namespace Kubegate.Hosting;

/// <summary>
/// Every log event id of kubegate, by range, so ids are never reused: 1xx hosting and CLI, 2xx configuration,
/// 3xx listeners, 4xx proxy connections, 5xx clusters and health, 6xx admin, 7xx access log.
/// </summary>
internal static class EventIds
{
    public const int Starting = 100;
    public const int Started = 101;
    public const int Stopping = 102;
    public const int Stopped = 103;
    public const int DrainTimedOut = 104;

    public const int ConfigProblem = 200;
    public const int ConfigLoaded = 201;

    public const int ListenerStarted = 300;
    public const int ListenerBindFailed = 301;
    public const int ListenerStopped = 302;
    public const int AcceptFailed = 303;

    public const int ConnectionNoCluster = 400;
    public const int ConnectionNoHealthyUpstream = 401;
    public const int UpstreamConnectFailed = 402;
    public const int UpstreamConnectAttemptsExceeded = 403;
    public const int ConnectionClosed = 404;
    public const int ConnectionIdleTimeout = 405;
    public const int ConnectionFailed = 406;
    public const int UpstreamOverflow = 407;
    public const int ConnectionMaxDuration = 408;
}
