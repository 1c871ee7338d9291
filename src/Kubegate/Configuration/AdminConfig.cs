namespace Kubegate.Configuration;

/// <summary>The bootstrap's <c>admin</c> block. No address means no admin server, as in Envoy.</summary>
internal sealed record AdminConfig
{
    public SocketAddressConfig? Address { get; init; }

    /// <summary>Deprecated <c>access_log_path</c>, kept for configs written for older Envoy.</summary>
    public string? AccessLogPath { get; init; }

    public EquatableArray<AccessLogConfig> AccessLog { get; init; } = EquatableArray<AccessLogConfig>.Empty;

    public string? ProfilePath { get; init; }
}
